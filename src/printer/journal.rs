//! The send journal: what a crash leaves as evidence of whether a job reached its printer.
//! A job's result is recorded in the database only after the send returns (for a sale
//! receipt, with the next batch of sales), so a kiosk killed in between leaves the job
//! `pending` with no word on the paper. Before the bytes go out the journal gets
//! `<job>.sending`; once the printer took them all it is renamed `<job>.sent`. At start the
//! pending jobs are settled from it, so a job that printed is never printed again as an
//! original.

use std::path::PathBuf;

/// What reached the printer, as far as the journal knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// No send began: the paper never saw the job.
    NotSent,
    /// A send began and did not finish: the printer may have printed it, whole or in part.
    MaybeSent,
    /// The printer took every byte.
    Sent,
}

/// One folder of markers, shared by every printer (job ids are unique across them).
#[derive(Debug)]
pub struct SendJournal {
    dir: PathBuf,
}

impl SendJournal {
    pub fn new(dir: PathBuf) -> SendJournal {
        SendJournal { dir }
    }

    fn marker(&self, job_id: i64, state: &str) -> PathBuf {
        self.dir.join(format!("{job_id}.{state}"))
    }

    /// Before the first byte goes out. An error means the evidence would be missing: the
    /// caller does not send.
    pub fn sending(&self, job_id: i64) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        std::fs::write(self.marker(job_id, "sending"), b"")
    }

    /// After the printer took the last byte.
    pub fn sent(&self, job_id: i64) -> std::io::Result<()> {
        std::fs::rename(self.marker(job_id, "sending"), self.marker(job_id, "sent"))
    }

    pub fn evidence(&self, job_id: i64) -> Evidence {
        if self.marker(job_id, "sent").exists() {
            Evidence::Sent
        } else if self.marker(job_id, "sending").exists() {
            Evidence::MaybeSent
        } else {
            Evidence::NotSent
        }
    }

    /// Once the job's result is in the database the markers have served.
    pub fn forget(&self, job_id: i64) {
        for state in ["sending", "sent"] {
            // Already gone is fine: nothing was sent, or a settled job.
            let _ = std::fs::remove_file(self.marker(job_id, state));
        }
    }

    /// Every job with a marker (to clear those whose result was recorded).
    pub fn jobs(&self) -> Vec<i64> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut ids: Vec<i64> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name();
                let (id, _) = name.to_str()?.split_once('.')?;
                id.parse().ok()
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_tell_not_sent_maybe_sent_and_sent_apart() {
        let dir = tempfile::tempdir().unwrap();
        let journal = SendJournal::new(dir.path().join("journal"));
        assert_eq!(journal.evidence(7), Evidence::NotSent);
        journal.sending(7).unwrap();
        assert_eq!(journal.evidence(7), Evidence::MaybeSent);
        journal.sent(7).unwrap();
        assert_eq!(journal.evidence(7), Evidence::Sent);
        assert_eq!(journal.jobs(), vec![7]);
        journal.forget(7);
        assert_eq!(journal.evidence(7), Evidence::NotSent);
        assert!(journal.jobs().is_empty());
    }
}
