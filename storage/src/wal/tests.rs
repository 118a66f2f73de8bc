use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, mpsc};

use super::format::{SEGMENT_HEADER_LEN, WalRecord, encode_record};
use super::*;

fn collect_replay(dir: &Path) -> (Vec<WalRecord>, ReplayStats) {
    let mut records = Vec::new();
    let (_, stats) = replay::replay(dir, |r| {
        records.push(r);
        Ok(())
    })
    .unwrap();
    (records, stats)
}

fn open_wal(dir: &Path, segment_bytes: u64) -> Wal {
    let config = WalConfig {
        dir: dir.to_path_buf(),
        segment_bytes,
        fsync: true,
    };
    let (wal, _) = open(config, 0, |_| Ok(())).unwrap();
    wal
}

/// Appends and waits for durability, returning the LSN.
fn append_sync(wal: &Wal, tenant: &str, payload: &[u8]) -> u64 {
    let (tx, rx) = mpsc::channel();
    wal.append(
        Signal::Traces,
        tenant,
        payload.to_vec(),
        Box::new(move |r| tx.send(r).unwrap()),
    );
    rx.recv().unwrap().unwrap()
}

fn segment_paths(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
}

#[test]
fn appended_records_replay_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = open_wal(dir.path(), 1 << 20);
    let lsns: Vec<u64> = (0..10)
        .map(|i| append_sync(&wal, "t", format!("p{i}").as_bytes()))
        .collect();
    assert_eq!(lsns, (1..=10).collect::<Vec<_>>());
    wal.shutdown();
    let (records, stats) = collect_replay(dir.path());
    assert_eq!(records.len(), 10);
    assert_eq!(records[3].payload, b"p3");
    assert_eq!(records[3].lsn, 4);
    assert_eq!(stats.last_lsn, 10);
    assert_eq!(stats.corrupt_records, 0);
}

#[test]
fn torn_tail_is_truncated_and_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = open_wal(dir.path(), 1 << 20);
    append_sync(&wal, "t", b"one");
    append_sync(&wal, "t", b"two");
    wal.shutdown();
    let path = segment_paths(dir.path()).pop().unwrap();
    let clean_len = std::fs::metadata(&path).unwrap().len();
    // Half of a third record, as a crash in the middle of a write leaves it.
    let mut partial = Vec::new();
    encode_record(&mut partial, 3, Signal::Traces, "t", b"three");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(&partial[..partial.len() / 2]);
    std::fs::write(&path, bytes).unwrap();

    let (records, stats) = collect_replay(dir.path());
    assert_eq!(records.len(), 2);
    assert_eq!(stats.corrupt_records, 0);
    assert!(stats.truncated_bytes > 0);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), clean_len);

    // And the WAL keeps working: new LSNs continue after the last valid one.
    let config = WalConfig::new(dir.path());
    let (mut wal, _) = open(config, 0, |_| Ok(())).unwrap();
    assert_eq!(append_sync(&wal, "t", b"after"), 3);
    wal.shutdown();
}

#[test]
fn bad_checksum_stops_the_segment_and_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = open_wal(dir.path(), 1 << 20);
    append_sync(&wal, "t", b"first");
    append_sync(&wal, "t", b"second");
    wal.shutdown();
    let path = segment_paths(dir.path()).pop().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let (records, stats) = collect_replay(dir.path());
    assert_eq!(
        records
            .iter()
            .map(|r| r.payload.clone())
            .collect::<Vec<_>>(),
        vec![b"first".to_vec()]
    );
    assert_eq!(stats.corrupt_records, 1);
}

#[test]
fn segment_torn_during_creation_is_treated_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(format::segment_file_name(7)), b"SIGH").unwrap();
    let (records, stats) = collect_replay(dir.path());
    assert!(records.is_empty());
    assert_eq!(stats.last_lsn, 6, "LSNs continue from the segment name");
}

#[test]
fn concurrent_appends_share_fsyncs() {
    let dir = tempfile::tempdir().unwrap();
    let wal = Arc::new(open_wal(dir.path(), 64 << 20));
    let lsns = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let wal = Arc::clone(&wal);
            let lsns = Arc::clone(&lsns);
            std::thread::spawn(move || {
                for i in 0..50 {
                    let lsn = append_sync(&wal, "t", format!("{t}-{i}").as_bytes());
                    lsns.lock().unwrap().push(lsn);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let mut lsns = lsns.lock().unwrap().clone();
    lsns.sort();
    assert_eq!(lsns, (1..=400).collect::<Vec<_>>());
    let stats = wal.stats();
    assert_eq!(stats.records.load(Ordering::Relaxed), 400);
    assert!(
        stats.syncs.load(Ordering::Relaxed) < 400,
        "group commit should batch fsyncs"
    );
}

#[test]
fn rotation_and_truncation_delete_only_covered_segments() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = open_wal(dir.path(), SEGMENT_HEADER_LEN as u64 + 10);
    for i in 0..5 {
        append_sync(&wal, "t", format!("record-{i}").as_bytes());
    }
    // Each record fills a segment: five sealed segments plus the active one.
    assert_eq!(segment_paths(dir.path()).len(), 6);
    wal.truncate_before(3);
    append_sync(&wal, "t", b"sync point"); // the writer handles commands in order
    let (records, _) = {
        wal.shutdown();
        collect_replay(dir.path())
    };
    assert_eq!(records.first().map(|r| r.lsn), Some(3));
    assert_eq!(records.len(), 4);
}

#[test]
fn lsns_continue_after_every_old_segment_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = open_wal(dir.path(), 1 << 20);
    append_sync(&wal, "t", b"a");
    append_sync(&wal, "t", b"b");
    wal.shutdown();
    let config = WalConfig::new(dir.path());
    let (mut wal, stats) = open(config, 0, |_| Ok(())).unwrap();
    assert_eq!(stats.records, 2);
    wal.truncate_before(3);
    wal.shutdown();
    let config = WalConfig::new(dir.path());
    let (mut wal, stats) = open(config, 0, |_| Ok(())).unwrap();
    assert_eq!(stats.records, 0);
    assert_eq!(append_sync(&wal, "t", b"c"), 3);
    wal.shutdown();
}

#[test]
fn refused_records_are_counted_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = open_wal(dir.path(), 1 << 20);
    append_sync(&wal, "t", b"good");
    append_sync(&wal, "t", b"bad");
    wal.shutdown();
    let mut seen = Vec::new();
    let (_, stats) = replay::replay(dir.path(), |r| {
        if r.payload == b"bad" {
            return Err(StorageError::corrupt("payload", "test"));
        }
        seen.push(r.lsn);
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, vec![1]);
    assert_eq!((stats.records, stats.corrupt_records), (1, 1));
}

#[test]
fn a_fully_covered_wal_is_emptied() {
    let dir = tempfile::tempdir().unwrap();
    let mut wal = open_wal(dir.path(), 1 << 20);
    append_sync(&wal, "t", b"a");
    append_sync(&wal, "t", b"b");
    // Everything is in blocks: the active segment is sealed and deleted.
    wal.truncate_before(u64::MAX);
    wal.shutdown();
    let (records, _) = collect_replay(dir.path());
    assert!(records.is_empty());
    let config = WalConfig::new(dir.path());
    let (mut wal, _) = open(config, 0, |_| Ok(())).unwrap();
    assert_eq!(
        append_sync(&wal, "t", b"c"),
        3,
        "LSNs continue from the new segment's name"
    );
    wal.shutdown();
}
