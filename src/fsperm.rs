//! Files and directories that hold private data (the database, certificates and keys, the simulator's state) are
//! created private to their owner — directories 0700, files 0600 — whatever the process's umask says. Existing
//! files and directories are left as they are (`fogd doctor` reports key files others can read).

use std::io;
use std::path::Path;

/// Creates `dir` and every missing parent with mode 0700. Directories that exist already are not changed.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_private_dir_all(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => set_mode(dir, 0o700),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates an empty file at `path` with mode 0600 unless it exists (its parent directory must exist). SQLite
/// creates its `-wal` and `-shm` files with the mode of the database file, so a database file created here first
/// keeps all three private.
pub fn create_private_file(path: &Path) -> io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => set_mode(path, 0o600),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_modes() {
        let d = tempfile::tempdir().unwrap();
        let nested = d.path().join("a/b");
        create_private_dir_all(&nested).unwrap();
        for p in [d.path().join("a"), nested.clone()] {
            let m = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(m, 0o700, "{}", p.display());
        }
        let f = nested.join("x.db");
        create_private_file(&f).unwrap();
        create_private_file(&f).unwrap();
        let m = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(m, 0o600);
    }
}
