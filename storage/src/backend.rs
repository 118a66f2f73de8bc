//! Where blocks live: an `object_store` (the local filesystem by default, S3-compatible stores
//! for scale-out), with the path layout `<tenant>/<signal>/<block-id>/<file>`.
//!
//! The local filesystem store does not fsync; [`BlockStorage`] does it for files and directories
//! it writes when it knows the local root, so a block survives power loss before its WAL
//! records are deleted.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use tantivy::directory::OwnedBytes;

use crate::error::{StorageError, StorageResult};
use crate::tenant::{Signal, TenantId};

/// A block store plus the path layout.
#[derive(Clone)]
pub struct BlockStorage {
    store: Arc<dyn ObjectStore>,
    local_root: Option<PathBuf>,
}

impl std::fmt::Debug for BlockStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockStorage")
            .field("store", &self.store.to_string())
            .finish()
    }
}

impl BlockStorage {
    /// Blocks on the local filesystem under `root` (created if missing).
    pub fn local(root: impl Into<PathBuf>) -> StorageResult<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)
            .map_err(|e| StorageError::io(format!("creating {}", root.display()), e))?;
        let root = root
            .canonicalize()
            .map_err(|e| StorageError::io(format!("resolving {}", root.display()), e))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(&root)?;
        Ok(Self {
            store: Arc::new(store),
            local_root: Some(root),
        })
    }

    /// Blocks in any object store (S3, memory, ...).
    pub fn remote(store: Arc<dyn ObjectStore>) -> Self {
        Self {
            store,
            local_root: None,
        }
    }

    /// The underlying store.
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// `<tenant>/<signal>/<block-id>`.
    pub fn block_prefix(tenant: &TenantId, signal: Signal, block_id: &str) -> ObjectPath {
        ObjectPath::from(format!(
            "{}/{}/{}",
            tenant.as_str(),
            signal.as_str(),
            block_id
        ))
    }

    /// `<tenant>/<signal>/<block-id>/<file>`.
    pub fn block_file(tenant: &TenantId, signal: Signal, block_id: &str, file: &str) -> ObjectPath {
        Self::block_prefix(tenant, signal, block_id)
            .clone()
            .join(file)
    }

    /// Writes a whole object (atomically: readers see all of it or nothing).
    pub async fn put(&self, path: &ObjectPath, bytes: Bytes) -> StorageResult<()> {
        self.store.put(path, PutPayload::from_bytes(bytes)).await?;
        self.sync_local(path).await
    }

    /// Reads a whole object.
    pub async fn get(&self, path: &ObjectPath) -> StorageResult<Bytes> {
        Ok(self.store.get(path).await?.bytes().await?)
    }

    /// Reads a whole immutable object for random access: memory-mapped when the store is the
    /// local filesystem (pages load on demand and stay reclaimable), read into memory otherwise.
    pub async fn get_mapped(&self, path: &ObjectPath) -> StorageResult<OwnedBytes> {
        let Some(root) = &self.local_root else {
            return Ok(OwnedBytes::new(self.get(path).await?.to_vec()));
        };
        let file_path = root.join(path.as_ref());
        let file = std::fs::File::open(&file_path)
            .map_err(|e| StorageError::io(format!("opening {}", file_path.display()), e))?;
        // SAFETY: block files are written once, completely, before their block becomes visible,
        // and never modified afterwards; deleting one (retention) keeps an existing mapping valid.
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| StorageError::io(format!("mapping {}", file_path.display()), e))?;
        Ok(OwnedBytes::new(MappedFile(map)))
    }

    /// Tenants that have any data (the first level of the layout).
    pub async fn list_tenants(&self) -> StorageResult<Vec<String>> {
        let listing = self.store.list_with_delimiter(None).await?;
        Ok(listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect())
    }

    /// Block ids (directories) under `<tenant>/<signal>/`.
    pub async fn list_block_dirs(
        &self,
        tenant: &TenantId,
        signal: Signal,
    ) -> StorageResult<Vec<String>> {
        let prefix = ObjectPath::from(format!("{}/{}", tenant.as_str(), signal.as_str()));
        let listing = self.store.list_with_delimiter(Some(&prefix)).await?;
        Ok(listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect())
    }

    /// Deletes every object under `prefix`.
    pub async fn delete_prefix(&self, prefix: &ObjectPath) -> StorageResult<()> {
        let paths: Vec<ObjectPath> = self
            .store
            .list(Some(prefix))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await?;
        for path in paths {
            match self.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(root) = &self.local_root {
            let dir = root.join(prefix.as_ref());
            let _ = tokio::fs::remove_dir(&dir).await;
        }
        Ok(())
    }

    /// Fsyncs a file written to the local store and the directories above it (block, signal,
    /// tenant and root), so a new block directory is durable too.
    async fn sync_local(&self, path: &ObjectPath) -> StorageResult<()> {
        let Some(root) = &self.local_root else {
            return Ok(());
        };
        let file = root.join(path.as_ref());
        tokio::task::spawn_blocking(move || {
            for target in file.ancestors().take(5) {
                std::fs::File::open(target)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| StorageError::io(format!("syncing {}", target.display()), e))?;
            }
            Ok(())
        })
        .await?
    }
}

/// A memory-mapped block file.
struct MappedFile(memmap2::Mmap);

impl std::ops::Deref for MappedFile {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

// SAFETY: the mapping's address does not change when `MappedFile` moves.
unsafe impl stable_deref_trait::StableDeref for MappedFile {}
