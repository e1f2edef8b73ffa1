//! Writing a file so that it is never seen half-written: the bytes go to a
//! temporary sibling, which is renamed over the file. Settings, sessions and
//! the write tool all save this way.

use std::path::{Path, PathBuf};

/// Replaces `path` with `bytes` atomically, creating its folder. The new
/// file keeps the old one's permissions, or gets `mode` when given (set
/// before the rename, so a secret is never readable by others even briefly).
pub fn write(path: &Path, bytes: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)?;
    let temporary = temporary_sibling(path);
    let result = std::fs::write(&temporary, bytes)
        .and_then(|()| set_permissions(path, &temporary, mode))
        .and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

fn set_permissions(original: &Path, temporary: &Path, mode: Option<u32>) -> std::io::Result<()> {
    match mode {
        Some(mode) => set_mode(temporary, mode),
        None => match std::fs::metadata(original) {
            Ok(metadata) => std::fs::set_permissions(temporary, metadata.permissions()),
            Err(_) => Ok(()),
        },
    }
}

#[cfg(unix)]
fn set_mode(file: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

fn temporary_sibling(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".agent-tmp-{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_keeps_permissions_or_sets_them() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a/b.txt");
        write(&file, b"one", None).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        write(&file, b"two", None).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "two");
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o755
        );
        write(&file, b"three", Some(0o600)).unwrap();
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("a")).unwrap().count(),
            1,
            "no temporary left"
        );
    }
}
