//! The cold store a run lends its history and its logs: a temporary file they
//! move sealed bytes to once, together, they hold enough in memory.
//!
//! Small runs never make the file. The file is unlinked as soon as it exists
//! (on Unix), so nothing is left behind. If it cannot be made or written, the
//! bytes stay in memory: a full disk costs memory, never a result.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering};
use system::compact_log::ColdStore;

/// Bytes a run's history and logs hold in memory before they start to spill.
pub const SPILL_AFTER_BYTES: usize = 64 << 20;

/// See the module documentation.
#[derive(Debug)]
pub struct ColdFile {
    spill_after_bytes: isize,
    resident: AtomicIsize,
    file: Mutex<Spill>,
}

/// The file, once made.
#[derive(Debug, Default)]
enum Spill {
    #[default]
    NotYet,
    Open {
        path: PathBuf,
        file: File,
        len: u64,
    },
    /// It could not be made or written: nothing more goes to it.
    Failed {
        path: Option<PathBuf>,
        file: Option<File>,
    },
}

impl ColdFile {
    /// A cold store that takes bytes once its users hold `spill_after_bytes` in memory.
    pub fn new(spill_after_bytes: usize) -> Self {
        ColdFile { spill_after_bytes: spill_after_bytes as isize, resident: AtomicIsize::new(0), file: Mutex::new(Spill::NotYet) }
    }

    /// Whether any bytes went to the file.
    pub fn used(&self) -> bool {
        match &*self.lock() {
            Spill::Open { len, .. } => *len > 0,
            Spill::Failed { file, .. } => file.is_some(),
            Spill::NotYet => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Spill> {
        self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A new temporary file, unlinked at once on Unix (it lives as long as its handle).
fn create() -> Option<(PathBuf, File)> {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("shelfcheck-cold-{}-{n}", std::process::id()));
    let file = File::options().read(true).write(true).create_new(true).open(&path).ok()?;
    let _ = std::fs::remove_file(&path);
    Some((path, file))
}

impl ColdStore for ColdFile {
    fn resident(&self, bytes: isize) {
        self.resident.fetch_add(bytes, Ordering::Relaxed);
    }

    fn put(&self, bytes: &[u8]) -> Option<u64> {
        if self.resident.load(Ordering::Relaxed) < self.spill_after_bytes {
            return None;
        }
        let mut spill = self.lock();
        if let Spill::NotYet = *spill {
            *spill = match create() {
                Some((path, file)) => Spill::Open { path, file, len: 0 },
                None => Spill::Failed { path: None, file: None },
            };
        }
        let Spill::Open { file, len, .. } = &mut *spill else { return None };
        let at = *len;
        if file.seek(SeekFrom::Start(at)).and_then(|_| file.write_all(bytes)).is_err() {
            let Spill::Open { path, file, .. } = std::mem::take(&mut *spill) else { unreachable!("matched above") };
            *spill = Spill::Failed { path: Some(path), file: Some(file) };
            return None;
        }
        *len += bytes.len() as u64;
        self.resident.fetch_sub(bytes.len() as isize, Ordering::Relaxed);
        Some(at)
    }

    fn get(&self, at: u64, len: usize) -> Vec<u8> {
        let mut bytes = vec![0; len];
        let mut spill = self.lock();
        let (Spill::Open { file, .. } | Spill::Failed { file: Some(file), .. }) = &mut *spill else {
            unreachable!("bytes were put before they are read")
        };
        let read = file.seek(SeekFrom::Start(at)).and_then(|_| file.read_exact(&mut bytes));
        read.expect("bytes written to the run's own temporary file read back");
        bytes
    }
}

impl Drop for ColdFile {
    fn drop(&mut self) {
        // On Unix the file is nameless already; elsewhere it is emptied, and removed where an open file can be.
        let spill = std::mem::take(self.file.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner()));
        if let Spill::Open { path, file, .. } | Spill::Failed { path: Some(path), file: Some(file) } = spill {
            let _ = file.set_len(0);
            drop(file);
            let _ = std::fs::remove_file(path);
        }
    }
}
