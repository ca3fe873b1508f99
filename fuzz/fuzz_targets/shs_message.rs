#![no_main]
//! Random bytes through the SHS parsers: the MIME message (and so its label), the label, the message list and the
//! management document. None may panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fogd::shs::ShsMessage::parse(bytes::Bytes::copy_from_slice(data));
    let _ = fogd::shs::Label::parse(data);
    let _ = fogd::shs::MessageList::parse(data);
    let _ = fogd::shs::Management::parse(data);
});
