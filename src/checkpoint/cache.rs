//! The stat cache: each file's stat data when it was last hashed, and the
//! blob it hashed to, so a walk hashes only the files whose stat data
//! changed (the part of git's index a snapshot store needs).
//!
//! It is kept in memory during a session and saved now and then (the store
//! says when), in a format of our own: fixed fields per file, no
//! cryptographic checksum. libgit2's index took 13 ms to read 20,000
//! entries, most of it collision-detecting SHA-1, and as long again to
//! write them; this file reads in about 3 ms. A damaged or foreign file
//! reads as empty, which only costs hashing every file once more. It names
//! the checkpoint tree it describes, so a file older than the newest
//! checkpoint is brought up to date from the trees.
//!
//! Why trusting it is safe: a record is used only while the file's stat
//! data are exactly those recorded, so the file is unchanged since it was
//! hashed into the recorded blob. A file written in the same clock tick as
//! the walk that recorded it is "smudged" (its recorded mtime zeroed, as
//! git does), so it is hashed again next time.

use std::path::Path;

use git2::Oid;

use super::walk::Stat;

const MAGIC: &[u8; 8] = b"AGSTAT1\n";

/// The stat data to record for a file hashed by a walk that began at
/// `clock` (the file system's time then). A file modified at or after it
/// could change again within the same clock tick with identical stat data,
/// so it is "smudged", as git does: a zero modification time, which no
/// file matches, so the next walk hashes it again.
pub fn settled(stat: Stat, clock: (i64, i64)) -> Stat {
    match (stat.mtime, stat.mtime_nsec) >= clock {
        true => Stat {
            mtime: 0,
            mtime_nsec: 0,
            ..stat
        },
        false => stat,
    }
}

/// Stat data no file matches, for a path known only from a tree: its file
/// is hashed at the next walk.
pub fn unknown(mode: u32) -> Stat {
    Stat {
        mtime: 0,
        mtime_nsec: 0,
        size: 0,
        ino: 0,
        mode,
    }
}

/// One file's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The path relative to the workspace, as bytes.
    pub path: Vec<u8>,
    /// Its stat data when hashed.
    pub stat: Stat,
    /// The blob it hashed to.
    pub id: Oid,
}

impl Entry {
    /// Whether the file, found with `stat`, is unchanged since it was
    /// hashed (a smudged record never is).
    pub fn unchanged(&self, stat: &Stat) -> bool {
        self.stat.mtime != 0 && self.stat == *stat
    }
}

/// Every file's record, sorted by path bytes, and the tree they describe.
#[derive(Debug, Clone, Default)]
pub struct StatCache {
    /// The checkpoint tree the records describe; when the newest tree is
    /// another (the file was not saved after the last snapshots), the store
    /// brings the records up to date from the trees.
    pub tree: Option<Oid>,
    /// The records.
    pub entries: Vec<Entry>,
}

impl StatCache {
    /// Sets the record of `path`.
    pub fn record(&mut self, path: Vec<u8>, stat: Stat, id: Oid) {
        let entry = Entry { path, stat, id };
        match self.entries.binary_search_by(|e| e.path.cmp(&entry.path)) {
            Ok(at) => self.entries[at] = entry,
            Err(at) => self.entries.insert(at, entry),
        }
    }

    /// Drops the record of `path`.
    pub fn forget(&mut self, path: &[u8]) {
        if let Ok(at) = self
            .entries
            .binary_search_by(|e| e.path.as_slice().cmp(path))
        {
            self.entries.remove(at);
        }
    }

    /// Reads the cache at `file`; empty when it is missing or unreadable.
    pub fn load(file: &Path) -> StatCache {
        std::fs::read(file)
            .ok()
            .and_then(|bytes| parse(&bytes))
            .unwrap_or_default()
    }

    /// Writes the cache to `file`, never seen half-written.
    pub fn save(&self, file: &Path) -> std::io::Result<()> {
        let mut out = Vec::with_capacity(16 + self.entries.len() * 80);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(self.tree.unwrap_or(Oid::ZERO_SHA1).as_bytes());
        out.extend_from_slice(&(self.entries.len() as u64).to_le_bytes());
        for entry in &self.entries {
            out.extend_from_slice(&(entry.path.len() as u32).to_le_bytes());
            out.extend_from_slice(&entry.path);
            out.extend_from_slice(&entry.stat.mtime.to_le_bytes());
            out.extend_from_slice(&entry.stat.mtime_nsec.to_le_bytes());
            out.extend_from_slice(&entry.stat.size.to_le_bytes());
            out.extend_from_slice(&entry.stat.ino.to_le_bytes());
            out.extend_from_slice(&entry.stat.mode.to_le_bytes());
            out.extend_from_slice(entry.id.as_bytes());
        }
        crate::atomic::write(file, &out, Some(0o600))
    }
}

/// Reads fixed-size fields off the front of a byte slice.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

fn parse(bytes: &[u8]) -> Option<StatCache> {
    let mut reader = Reader(bytes);
    if reader.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let tree = Some(Oid::from_bytes(reader.take(20)?).ok()?).filter(|id| !id.is_zero());
    let count = reader.u64()?;
    let mut entries = Vec::with_capacity(usize::try_from(count).ok()?.min(1 << 20));
    for _ in 0..count {
        let length = reader.u32()? as usize;
        let path = reader.take(length)?.to_vec();
        let stat = Stat {
            mtime: reader.i64()?,
            mtime_nsec: reader.i64()?,
            size: reader.u64()?,
            ino: reader.u64()?,
            mode: reader.u32()?,
        };
        let id = Oid::from_bytes(reader.take(20)?).ok()?;
        entries.push(Entry { path, stat, id });
    }
    let sorted = entries.windows(2).all(|pair| pair[0].path < pair[1].path);
    (reader.0.is_empty() && sorted).then_some(StatCache { tree, entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_cache_reads_back_and_damage_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("stat-cache");
        std::fs::write(dir.path().join("a"), "x").unwrap();
        let meta = std::fs::symlink_metadata(dir.path().join("a")).unwrap();
        let found = Stat::of(&meta);
        let cache = StatCache {
            tree: Some(Oid::hash_object(git2::ObjectType::Tree, b"").unwrap()),
            entries: vec![
                Entry {
                    path: b"a".to_vec(),
                    stat: settled(found, (i64::MAX, 0)),
                    id: Oid::hash_object(git2::ObjectType::Blob, b"x").unwrap(),
                },
                Entry {
                    path: b"b\xff".to_vec(),
                    stat: settled(found, (0, 0)),
                    id: Oid::ZERO_SHA1,
                },
            ],
        };
        cache.save(&file).unwrap();
        let read = StatCache::load(&file);
        assert_eq!(read.entries, cache.entries);
        assert_eq!(read.tree, cache.tree);
        assert!(read.entries[0].unchanged(&found));
        assert!(!read.entries[1].unchanged(&found), "smudged");
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&file, &bytes[..bytes.len() - 3]).unwrap();
        assert!(StatCache::load(&file).entries.is_empty());
    }
}
