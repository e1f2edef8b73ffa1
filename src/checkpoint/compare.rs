//! Which files differ between two checkpoint trees.
//!
//! libgit2's tree-to-tree diff reads every folder of both trees, even the
//! folders whose tree ids are equal (and so whose contents are too): on a
//! 20,000-file workspace that is 10 ms of reading and hashing per
//! comparison, and a snapshot, a restore and every line of
//! `checkpoint list` compare trees. Here a folder whose id is the same on
//! both sides is skipped whole, so the cost follows the size of the change.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use git2::{Delta, Oid, Repository, Tree};

/// One file (blob or symlink) that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The path relative to the trees' root.
    pub path: PathBuf,
    /// `Added`, `Deleted`, `Modified` (content or executable bit) or
    /// `Typechange` (a file became a symlink, or back).
    pub status: Delta,
    /// The blob and mode on the old side, when it has the file.
    pub old: Option<(Oid, u32)>,
    /// The blob and mode on the new side, when it has the file.
    pub new: Option<(Oid, u32)>,
}

/// One entry of a tree: its name, id and mode.
type Item = (Vec<u8>, Oid, u32);

/// Every file that differs from `old` to `new` (either may be missing, as
/// for the first checkpoint), sorted by path.
pub fn changes(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
) -> Result<Vec<Change>, git2::Error> {
    let mut found = Vec::new();
    compare(repo, Path::new(""), old, new, &mut found)?;
    found.sort_unstable_by(|a, b| {
        a.path
            .as_os_str()
            .as_bytes()
            .cmp(b.path.as_os_str().as_bytes())
    });
    Ok(found)
}

fn compare(
    repo: &Repository,
    folder: &Path,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    found: &mut Vec<Change>,
) -> Result<(), git2::Error> {
    let (old, new) = (items(old), items(new));
    let (mut o, mut n) = (old.iter().peekable(), new.iter().peekable());
    loop {
        let order = match (o.peek(), n.peek()) {
            (None, None) => return Ok(()),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(a), Some(b)) => a.0.cmp(&b.0),
        };
        let (before, after) = match order {
            std::cmp::Ordering::Less => (o.next(), None),
            std::cmp::Ordering::Greater => (None, n.next()),
            std::cmp::Ordering::Equal => (o.next(), n.next()),
        };
        entry(repo, folder, before, after, found)?;
    }
}

/// Compares one name's entries on the two sides.
fn entry(
    repo: &Repository,
    folder: &Path,
    before: Option<&Item>,
    after: Option<&Item>,
    found: &mut Vec<Change>,
) -> Result<(), git2::Error> {
    if let (Some(a), Some(b)) = (before, after)
        && a.1 == b.1
        && a.2 == b.2
    {
        return Ok(());
    }
    let Some((name, _, _)) = before.or(after) else {
        return Ok(());
    };
    let path = folder.join(OsStr::from_bytes(name));
    let old_tree = before
        .filter(|i| is_tree(i.2))
        .map(|i| repo.find_tree(i.1))
        .transpose()?;
    let new_tree = after
        .filter(|i| is_tree(i.2))
        .map(|i| repo.find_tree(i.1))
        .transpose()?;
    if old_tree.is_some() || new_tree.is_some() {
        compare(repo, &path, old_tree.as_ref(), new_tree.as_ref(), found)?;
    }
    let old_file = before.filter(|i| !is_tree(i.2));
    let new_file = after.filter(|i| !is_tree(i.2));
    let status = match (old_file, new_file) {
        (None, None) => return Ok(()),
        (None, Some(_)) => Delta::Added,
        (Some(_), None) => Delta::Deleted,
        (Some(a), Some(b)) if is_link(a.2) != is_link(b.2) => Delta::Typechange,
        (Some(_), Some(_)) => Delta::Modified,
    };
    found.push(Change {
        path,
        status,
        old: old_file.map(|i| (i.1, i.2)),
        new: new_file.map(|i| (i.1, i.2)),
    });
    Ok(())
}

/// A tree's entries, sorted by name bytes.
fn items(tree: Option<&Tree<'_>>) -> Vec<Item> {
    let mut items: Vec<Item> = tree
        .into_iter()
        .flat_map(|t| t.iter())
        .map(|e| (e.name_bytes().to_vec(), e.id(), e.filemode() as u32))
        .collect();
    items.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    items
}

fn is_tree(mode: u32) -> bool {
    mode == 0o040000
}

fn is_link(mode: u32) -> bool {
    mode == 0o120000
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::FileMode;
    use git2::build::TreeUpdateBuilder;

    /// A tree holding `files` (path, content, mode).
    fn tree<'r>(repo: &'r Repository, files: &[(&str, &str, FileMode)]) -> Tree<'r> {
        let empty = repo
            .find_tree(repo.treebuilder(None).unwrap().write().unwrap())
            .unwrap();
        let mut updates = TreeUpdateBuilder::new();
        for (path, content, mode) in files {
            let blob = repo.blob(content.as_bytes()).unwrap();
            updates.upsert(*path, blob, *mode);
        }
        repo.find_tree(updates.create_updated(repo, &empty).unwrap())
            .unwrap()
    }

    fn summary(changes: &[Change]) -> Vec<(String, Delta)> {
        changes
            .iter()
            .map(|c| (c.path.display().to_string(), c.status))
            .collect()
    }

    #[test]
    fn files_folders_modes_and_symlinks_that_differ_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let old = tree(
            &repo,
            &[
                ("same/a.txt", "a", FileMode::Blob),
                ("edit.txt", "1", FileMode::Blob),
                ("run.sh", "x", FileMode::Blob),
                ("link", "target", FileMode::Blob),
                ("gone/deep/f", "f", FileMode::Blob),
                ("was_file", "w", FileMode::Blob),
                ("was_dir/inner", "i", FileMode::Blob),
            ],
        );
        let new = tree(
            &repo,
            &[
                ("same/a.txt", "a", FileMode::Blob),
                ("edit.txt", "2", FileMode::Blob),
                ("run.sh", "x", FileMode::BlobExecutable),
                ("link", "target", FileMode::Link),
                ("new/b.txt", "b", FileMode::Blob),
                ("was_file/now", "n", FileMode::Blob),
                ("was_dir", "d", FileMode::Blob),
            ],
        );
        let found = changes(&repo, Some(&old), Some(&new)).unwrap();
        assert_eq!(
            summary(&found),
            [
                ("edit.txt", Delta::Modified),
                ("gone/deep/f", Delta::Deleted),
                ("link", Delta::Typechange),
                ("new/b.txt", Delta::Added),
                ("run.sh", Delta::Modified),
                ("was_dir", Delta::Added),
                ("was_dir/inner", Delta::Deleted),
                ("was_file", Delta::Deleted),
                ("was_file/now", Delta::Added),
            ]
            .map(|(p, d)| (p.to_string(), d))
        );
        let run = found
            .iter()
            .find(|c| c.path == Path::new("run.sh"))
            .unwrap();
        assert_eq!(run.new.map(|n| n.1), Some(0o100755));
        assert!(changes(&repo, Some(&new), Some(&new)).unwrap().is_empty());
        let everything = changes(&repo, None, Some(&new)).unwrap();
        assert_eq!(everything.len(), 7);
        assert!(everything.iter().all(|c| c.status == Delta::Added));
    }
}
