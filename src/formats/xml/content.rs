//! The mapping half of the XML reader: where each element may stand (the root, the records and their occurrences,
//! the content model of each record's fields), the attributes, and the values at the end of each element.

use super::layout::{Step, XmlLayout};
use super::read::{local, name_ok, Open, Reader, RecordState, Stop};
use super::record::{XmlField, XmlRecord};
use super::value::{is_xml_char, read_value, XmlRule};
use crate::formats::layout::Scope;
use quick_xml::events::BytesStart;
use quick_xml::name::ResolveResult;
use std::io::BufRead;

/// The XML Schema instance namespace: `xsi:schemaLocation` and `xsi:noNamespaceSchemaLocation` may stand on any
/// element of a valid document.
const XSI: &[u8] = b"http://www.w3.org/2001/XMLSchema-instance";

impl<'l, R: BufRead, F: FnMut(XmlRecord)> Reader<'l, R, F> {
    pub(super) fn start(
        &mut self,
        e: &BytesStart<'_>,
        ns_ok: bool,
        found_ns: &str,
    ) -> Result<(), Stop> {
        let name = local(e.local_name().as_ref());
        if self.stack.len() >= self.layout.limits.max_depth {
            return Err(self.stop(
                XmlRule::Limit,
                format!(
                    "element {name} nests deeper than limits.max_depth ({})",
                    self.layout.limits.max_depth
                ),
            ));
        }
        let wrong_ns = |this: &mut Self, what: &str| {
            this.stop(
                XmlRule::Namespace,
                format!(
                    "{what} {name} is in the namespace {found_ns:?}, expected {:?}",
                    this.layout.namespace
                ),
            )
        };
        if !self.seen_root {
            self.seen_root = true;
            if name != self.layout.root {
                self.stack.push((Open::Root, name.clone()));
                return Err(self.stop(
                    XmlRule::Root,
                    format!(
                        "the root element is {name}, the layout {} reads {}",
                        self.layout.name, self.layout.root
                    ),
                ));
            }
            self.stack.push((Open::Root, name.clone()));
            if !ns_ok {
                return Err(wrong_ns(self, "the root element"));
            }
            if let Some((def, _)) = self.layout.root_record() {
                self.open_record(def, e)?;
                self.close_record()?;
            } else {
                self.attributes(e, None)?;
            }
            return Ok(());
        }
        if self.root_done {
            return Err(self.stop(
                XmlRule::Syntax,
                format!("element {name} after the end of the root element"),
            ));
        }
        let top = self.stack.last().map(|(k, _)| *k);
        match top {
            Some(Open::Root) => {
                if !ns_ok {
                    self.stack.push((Open::Record, name.clone()));
                    return Err(wrong_ns(self, "element"));
                }
                let def = self.match_child(&name)?;
                let d = &self.layout.records[def];
                let seg = if d.max_occurs == Some(1) {
                    name
                } else {
                    format!("{name}[{}]", self.child_count)
                };
                self.stack.push((Open::Record, seg));
                self.open_record(def, e)
            }
            Some(Open::Record | Open::Container) => {
                if !ns_ok {
                    self.stack.push((Open::Container, name.clone()));
                    return Err(wrong_ns(self, "element"));
                }
                let kind = self.match_step(&name)?;
                self.stack.push((kind, name));
                self.attributes(e, None)?;
                Ok(())
            }
            Some(Open::Leaf) => {
                let leaf = self.path();
                Err(self.stop(
                    XmlRule::TextContent,
                    format!("element {name} inside {leaf}, which holds a value"),
                ))
            }
            None => Err(self.stop(XmlRule::Syntax, format!("element {name} outside the root"))),
        }
    }

    /// Finds the record type a child of the root starts, by the occurrence rules.
    pub(super) fn match_child(&mut self, name: &str) -> Result<usize, Stop> {
        loop {
            let Some(&def) = self.child.get(self.child_pos) else {
                let at = format!("{}/{name}", self.path());
                self.push_error(
                    at,
                    None,
                    XmlRule::UnexpectedElement,
                    format!("element {name} is not expected here (nothing more may follow)"),
                );
                return Err(Stop);
            };
            let d = &self.layout.records[def];
            if d.element == name && d.max_occurs.is_none_or(|m| self.child_count < m) {
                self.child_count += 1;
                return Ok(def);
            }
            if self.child_count >= d.min_occurs {
                self.child_pos += 1;
                self.child_count = 0;
                continue;
            }
            let (want, min) = (d.element.clone(), d.min_occurs);
            let at = format!("{}/{name}", self.path());
            // Missing when the element found belongs later in the document; else it has no place here.
            let later = self.child[self.child_pos..]
                .iter()
                .any(|&i| self.layout.records[i].element == name);
            self.push_error(
                at,
                None,
                if later {
                    XmlRule::MissingElement
                } else {
                    XmlRule::UnexpectedElement
                },
                format!("expected element {want} (at least {min}), found {name}"),
            );
            return Err(Stop);
        }
    }

    pub(super) fn open_record(&mut self, def: usize, e: &BytesStart<'_>) -> Result<(), Stop> {
        self.records += 1;
        if self.records > self.layout.limits.max_records {
            return Err(self.stop(
                XmlRule::Limit,
                format!(
                    "more than limits.max_records ({}) records",
                    self.layout.limits.max_records
                ),
            ));
        }
        self.record = Some(RecordState {
            def,
            step: 0,
            line: self.line(),
            path: self.path(),
            fields: Vec::new(),
            leaf: None,
        });
        self.attributes(e, Some(def))
    }

    /// Reads the attributes of an element: namespace declarations and `xsi:*Location` are passed over; on a record
    /// element the mapped attributes become fields; anything else is an error.
    pub(super) fn attributes(
        &mut self,
        e: &BytesStart<'_>,
        def: Option<usize>,
    ) -> Result<(), Stop> {
        let layout: &'l XmlLayout = self.layout;
        let rdef = def.and_then(|d| layout.records.get(d));
        let mut seen = Vec::new();
        for a in e.attributes() {
            let a = match a {
                Ok(a) => a,
                Err(err) => {
                    return Err(self.stop(XmlRule::Syntax, format!("not well-formed XML: {err}")))
                }
            };
            let Ok(raw_value) = a.unescape_value() else {
                return Err(self.stop(
                    XmlRule::Syntax,
                    "not well-formed XML: an attribute value holds an unknown entity".into(),
                ));
            };
            if !raw_value.chars().all(is_xml_char) {
                return Err(self.stop(
                    XmlRule::Syntax,
                    "an attribute value holds a character XML does not allow".into(),
                ));
            }
            if let Some(binding) = a.key.as_namespace_binding() {
                if let quick_xml::name::PrefixDeclaration::Named(p) = binding {
                    if !std::str::from_utf8(p).is_ok_and(name_ok) {
                        return Err(self.stop(
                            XmlRule::Syntax,
                            format!("{:?} is not a namespace prefix", local(p)),
                        ));
                    }
                }
                continue;
            }
            let (res, name) = self.xml.resolve_attribute(a.key);
            let name = local(name.as_ref());
            match res {
                ResolveResult::Unknown(p) => {
                    return Err(self.stop(
                        XmlRule::Syntax,
                        format!("the prefix {:?} is not declared", local(&p)),
                    ))
                }
                ResolveResult::Bound(n)
                    if n.as_ref() == XSI
                        && (name == "schemaLocation" || name == "noNamespaceSchemaLocation") =>
                {
                    continue
                }
                ResolveResult::Bound(_) => {}
                ResolveResult::Unbound => {
                    if let Some((i, f)) = rdef.and_then(|d| {
                        d.fields
                            .iter()
                            .enumerate()
                            .find(|(_, f)| f.attribute.as_deref() == Some(name.as_str()))
                    }) {
                        let at = format!("{}/@{name}", self.path());
                        let text = match a.unescape_value() {
                            Ok(t) => t.into_owned(),
                            Err(err) => {
                                return Err(self
                                    .stop(XmlRule::Syntax, format!("not well-formed XML: {err}")))
                            }
                        };
                        seen.push(i);
                        match read_value(f, &text) {
                            Ok(value) => {
                                if let Some(r) = self.record.as_mut() {
                                    r.fields.push(XmlField {
                                        field: i,
                                        text,
                                        value,
                                    });
                                }
                            }
                            Err(p) => {
                                let fname = f.name.clone();
                                self.push_error(at, Some(fname), XmlRule::Attribute, p.message);
                            }
                        }
                        continue;
                    }
                }
            }
            let at = format!("{}/@{name}", self.path());
            self.push_error(
                at,
                None,
                XmlRule::Attribute,
                format!("attribute {name} is not expected"),
            );
        }
        if let Some(d) = rdef {
            let missing: Vec<(String, String)> = d
                .fields
                .iter()
                .enumerate()
                .filter(|(i, f)| f.attribute.is_some() && !f.optional && !seen.contains(i))
                .map(|(_, f)| (f.name.clone(), f.attribute.clone().unwrap_or_default()))
                .collect();
            for (fname, attr) in missing {
                let at = format!("{}/@{attr}", self.path());
                self.push_error(
                    at,
                    Some(fname),
                    XmlRule::Attribute,
                    format!("the required attribute {attr} is missing"),
                );
            }
        }
        Ok(())
    }

    /// Inside a record: moves along the content model to the element `name`, passing optional steps.
    pub(super) fn match_step(&mut self, name: &str) -> Result<Open, Stop> {
        let layout: &'l XmlLayout = self.layout;
        let Some(r) = self.record.as_mut() else {
            return Err(self.stop(XmlRule::Syntax, "element outside a record".into()));
        };
        let def = &layout.records[r.def];
        loop {
            let Some(&step) = def.steps.get(r.step) else {
                let msg = format!("element {name} is not expected here");
                return Err(self.stop_at_child(name, XmlRule::UnexpectedElement, msg));
            };
            let here = def.step_name(step);
            match step {
                Step::Open {
                    close, optional, ..
                } => {
                    if here == name {
                        r.step += 1;
                        return Ok(Open::Container);
                    }
                    if optional {
                        r.step = close + 1;
                        continue;
                    }
                }
                Step::Leaf { field } => {
                    if here == name {
                        r.step += 1;
                        r.leaf = Some((field, String::new()));
                        return Ok(Open::Leaf);
                    }
                    if def.fields[field].optional {
                        r.step += 1;
                        continue;
                    }
                }
                Step::Close { .. } => {
                    let msg =
                        format!("element {name} is not expected here (expected the end of {here})");
                    return Err(self.stop_at_child(name, XmlRule::UnexpectedElement, msg));
                }
            }
            let here = here.to_string();
            let field = match step {
                Step::Leaf { field } => Some(def.fields[field].name.clone()),
                _ => None,
            };
            let rule = if def.steps[r.step..]
                .iter()
                .any(|s| def.step_name(*s) == name)
            {
                XmlRule::MissingElement
            } else {
                XmlRule::UnexpectedElement
            };
            let at = format!("{}/{name}", self.path());
            let msg = format!("expected element {here}, found {name}");
            self.push_error(at, field, rule, msg);
            return Err(Stop);
        }
    }

    pub(super) fn stop_at_child(&mut self, name: &str, rule: XmlRule, message: String) -> Stop {
        let at = format!("{}/{name}", self.path());
        self.push_error(at, None, rule, message);
        Stop
    }

    /// Moves past optional steps up to a `Close` (of the container ending) or the end of the record; names the
    /// first required element that is missing.
    pub(super) fn skip_to_close(&mut self) -> Result<(), Stop> {
        let layout: &'l XmlLayout = self.layout;
        let Some(r) = self.record.as_mut() else {
            return Ok(());
        };
        let def = &layout.records[r.def];
        loop {
            match def.steps.get(r.step) {
                None => return Ok(()),
                Some(Step::Close { .. }) => return Ok(()),
                Some(&Step::Open {
                    close,
                    optional: true,
                    ..
                }) => r.step = close + 1,
                Some(Step::Leaf { field }) if def.fields[*field].optional => r.step += 1,
                Some(&s) => {
                    let want = def.step_name(s).to_string();
                    let field = match s {
                        Step::Leaf { field } => Some(def.fields[field].name.clone()),
                        _ => None,
                    };
                    let at = format!("{}/{want}", self.path());
                    self.push_error(
                        at,
                        field,
                        XmlRule::MissingElement,
                        format!("element {want} is missing"),
                    );
                    return Err(Stop);
                }
            }
        }
    }

    pub(super) fn end(&mut self) -> Result<(), Stop> {
        let Some((kind, _)) = self.stack.last().cloned() else {
            return Err(self.stop(XmlRule::Syntax, "an end tag without a start".into()));
        };
        match kind {
            Open::Leaf => {
                let path = self.path();
                let layout: &'l XmlLayout = self.layout;
                let leaf = self
                    .record
                    .as_mut()
                    .and_then(|r| r.leaf.take().map(|l| (r.def, l)));
                if let Some((def, (field, text))) = leaf {
                    let f = &layout.records[def].fields[field];
                    match read_value(f, &text) {
                        Ok(value) => {
                            if let Some(r) = self.record.as_mut() {
                                r.fields.push(XmlField { field, text, value });
                            }
                        }
                        Err(p) => {
                            let fname = f.name.clone();
                            self.push_error(path, Some(fname), p.rule, p.message);
                        }
                    }
                }
            }
            Open::Container => {
                self.skip_to_close()?;
                if let Some(r) = self.record.as_mut() {
                    r.step += 1;
                }
            }
            Open::Record => {
                self.skip_to_close()?;
                self.close_record()?;
            }
            Open::Root => {
                // The child records still due must allow none.
                while let Some(&def) = self.child.get(self.child_pos) {
                    let d = &self.layout.records[def];
                    if self.child_count < d.min_occurs {
                        let (want, min) = (d.element.clone(), d.min_occurs);
                        return Err(self.stop(
                            XmlRule::MissingElement,
                            format!("element {want} is missing (at least {min})"),
                        ));
                    }
                    self.child_pos += 1;
                    self.child_count = 0;
                }
                self.root_done = true;
            }
        }
        self.stack.pop();
        Ok(())
    }

    pub(super) fn close_record(&mut self) -> Result<(), Stop> {
        let Some(mut r) = self.record.take() else {
            return Ok(());
        };
        r.fields.sort_by_key(|f| f.field);
        if self.layout.records[r.def].scope == Scope::Entry {
            self.entries += 1;
        }
        (self.on_record)(XmlRecord {
            line: r.line,
            def: r.def,
            path: r.path,
            fields: r.fields,
        });
        Ok(())
    }
}
