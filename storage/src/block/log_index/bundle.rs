//! The one-file form of a Tantivy index, and a read-only Tantivy [`Directory`] over it.
//!
//! Layout (little-endian), version 1:
//!
//! ```text
//! magic "SLLI" | version u32 | file count u32
//! per file: name length u16 | name (UTF-8) | offset u64 (from the start) | length u64
//! header CRC-32C u32 (of everything before it)
//! file contents, in order
//! ```
//!
//! Tantivy's own files end with their checksummed footers; the header CRC guards the table.

use std::collections::HashMap;
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    AntiCallToken, Directory, DirectoryLock, FileHandle, Lock, OwnedBytes, TerminatingWrite,
    WatchCallback, WatchHandle, WritePtr,
};

use crate::error::{StorageError, StorageResult};

/// Magic bytes of a bundle.
pub const BUNDLE_MAGIC: &[u8; 4] = b"SLLI";
/// Version of the bundle layout.
pub const BUNDLE_FORMAT_VERSION: u32 = 1;

fn corrupt(message: impl Into<String>) -> StorageError {
    StorageError::corrupt("logs.index", message.into())
}

/// Packs `files` (name, contents) into one bundle.
pub fn write_bundle(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let header_len: usize = 12
        + files
            .iter()
            .map(|(name, _)| 2 + name.len() + 16)
            .sum::<usize>()
        + 4;
    let total = header_len + files.iter().map(|(_, data)| data.len()).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(BUNDLE_MAGIC);
    out.extend_from_slice(&BUNDLE_FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(files.len() as u32).to_le_bytes());
    let mut offset = header_len as u64;
    for (name, data) in files {
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        offset += data.len() as u64;
    }
    let crc = crc32c::crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    for (_, data) in files {
        out.extend_from_slice(data);
    }
    out
}

/// Reads a bundle's table of files: name -> byte range.
pub fn read_table(bytes: &[u8]) -> StorageResult<HashMap<PathBuf, Range<usize>>> {
    let mut cursor = Cursor { bytes, at: 0 };
    if cursor.take(4)? != BUNDLE_MAGIC {
        return Err(corrupt("not a log index bundle"));
    }
    let version = cursor.u32()?;
    if version != BUNDLE_FORMAT_VERSION {
        return Err(corrupt(format!(
            "log index bundle version {version} is not supported (this build reads {BUNDLE_FORMAT_VERSION})"
        )));
    }
    let count = cursor.u32()?;
    let mut table = HashMap::new();
    for _ in 0..count {
        let name_len = u16::from_le_bytes(cursor.take(2)?.try_into().expect("2 bytes")) as usize;
        let name = std::str::from_utf8(cursor.take(name_len)?)
            .map_err(|_| corrupt("file name is not UTF-8"))?
            .to_string();
        let offset = cursor.u64()? as usize;
        let len = cursor.u64()? as usize;
        table.insert(PathBuf::from(name), offset..offset.saturating_add(len));
    }
    let header_end = cursor.at;
    let stored = cursor.u32()?;
    if crc32c::crc32c(&bytes[..header_end]) != stored {
        return Err(corrupt("header checksum mismatch"));
    }
    if table
        .values()
        .any(|r| r.end > bytes.len() || r.start < cursor.at)
    {
        return Err(corrupt("a file lies outside the bundle"));
    }
    Ok(table)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> StorageResult<&'a [u8]> {
        let slice = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or_else(|| corrupt("truncated header"))?;
        self.at += n;
        Ok(slice)
    }

    fn u32(&mut self) -> StorageResult<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn u64(&mut self) -> StorageResult<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
}

/// A read-only Tantivy directory over a bundle's bytes (memory-mapped or in memory).
#[derive(Clone)]
pub struct BundleDirectory {
    bytes: OwnedBytes,
    files: Arc<HashMap<PathBuf, Range<usize>>>,
}

impl std::fmt::Debug for BundleDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleDirectory")
            .field("bytes", &self.bytes.len())
            .field("files", &self.files.len())
            .finish()
    }
}

impl BundleDirectory {
    /// Opens the bundle in `bytes`.
    pub fn open(bytes: OwnedBytes) -> StorageResult<Self> {
        let files = read_table(bytes.as_slice())?;
        Ok(Self {
            bytes,
            files: Arc::new(files),
        })
    }

    fn read_only(path: &Path) -> io::Error {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "the log index is read-only: cannot write {}",
                path.display()
            ),
        )
    }
}

impl Directory for BundleDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let range = self
            .files
            .get(path)
            .ok_or_else(|| OpenReadError::FileDoesNotExist(path.to_path_buf()))?;
        Ok(Arc::new(self.bytes.slice(range.clone())))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError {
            io_error: Arc::new(Self::read_only(path)),
            filepath: path.to_path_buf(),
        })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        Ok(self.files.contains_key(path))
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError {
            io_error: Arc::new(Self::read_only(path)),
            filepath: path.to_path_buf(),
        })
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        let range = self
            .files
            .get(path)
            .ok_or_else(|| OpenReadError::FileDoesNotExist(path.to_path_buf()))?;
        Ok(self.bytes.as_slice()[range.clone()].to_vec())
    }

    fn atomic_write(&self, path: &Path, _data: &[u8]) -> io::Result<()> {
        Err(Self::read_only(path))
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        // Nothing can change a bundle: no lock is needed.
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, _watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}

/// Files written so far: (name, contents).
type SharedFiles = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A write-only directory that keeps what is written, to bundle an index built in memory
/// (`RamDirectory::persist` copies every file into it).
#[derive(Clone, Debug, Default)]
pub struct CollectingDirectory {
    files: SharedFiles,
}

impl CollectingDirectory {
    /// The files written, sorted by name (lock files left out).
    pub fn into_files(self) -> Vec<(String, Vec<u8>)> {
        let mut files = std::mem::take(&mut *self.files.lock().expect("not poisoned"));
        files.retain(|(name, _)| !name.ends_with(".lock"));
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files
    }
}

struct CollectingWriter {
    name: String,
    data: Vec<u8>,
    files: SharedFiles,
}

impl Write for CollectingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.data.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl TerminatingWrite for CollectingWriter {
    fn terminate_ref(&mut self, _: AntiCallToken) -> io::Result<()> {
        let data = std::mem::take(&mut self.data);
        self.files
            .lock()
            .expect("not poisoned")
            .push((self.name.clone(), data));
        Ok(())
    }
}

impl Directory for CollectingDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        Err(OpenReadError::FileDoesNotExist(path.to_path_buf()))
    }

    fn delete(&self, _path: &Path) -> Result<(), DeleteError> {
        Ok(())
    }

    fn exists(&self, _path: &Path) -> Result<bool, OpenReadError> {
        Ok(false)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Ok(io::BufWriter::new(Box::new(CollectingWriter {
            name: path.to_string_lossy().into_owned(),
            data: Vec::new(),
            files: Arc::clone(&self.files),
        })))
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        Err(OpenReadError::FileDoesNotExist(path.to_path_buf()))
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.files
            .lock()
            .expect("not poisoned")
            .push((path.to_string_lossy().into_owned(), data.to_vec()));
        Ok(())
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn watch(&self, _watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<(String, Vec<u8>)> {
        vec![
            ("a.idx".to_string(), b"first".to_vec()),
            ("meta.json".to_string(), b"{}".to_vec()),
        ]
    }

    #[test]
    fn bundle_layout_matches_the_golden_file() {
        let bytes = write_bundle(&sample());
        let golden = crate::test_fixtures::golden_file("log-index-bundle-v1.bin", || bytes.clone());
        assert_eq!(bytes, golden);
        assert!(read_table(&golden).is_ok());
    }

    #[test]
    fn bundles_round_trip_and_reject_damage() {
        let bytes = write_bundle(&sample());
        let directory = BundleDirectory::open(OwnedBytes::new(bytes.clone())).unwrap();
        assert_eq!(directory.atomic_read(Path::new("a.idx")).unwrap(), b"first");
        assert_eq!(
            directory.atomic_read(Path::new("meta.json")).unwrap(),
            b"{}"
        );
        assert!(!directory.exists(Path::new("missing")).unwrap());
        assert!(directory.atomic_write(Path::new("x"), b"y").is_err());
        let mut damaged = bytes.clone();
        damaged[13] ^= 1;
        assert!(read_table(&damaged).is_err());
        let mut other_version = bytes.clone();
        other_version[4] = 9;
        assert!(read_table(&other_version).is_err());
        assert!(read_table(&bytes[..10]).is_err());
        assert!(read_table(b"PAR1....").is_err());
    }
}
