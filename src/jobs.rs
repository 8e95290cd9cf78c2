//! The background job runner: the kiosk's named periodic jobs, started from one place and
//! stopped together by one shutdown signal. At start it first settles what a stopped kiosk
//! left behind (print jobs without a result); then each job runs at once and then on its
//! period: the daily review, the stale card-reservation sweep and the audit anchor today
//! and the head-office sync (when configured).

use std::time::Duration;

use chrono::NaiveDate;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::flows::{issuing, printing, review, FlowError};
use crate::kiosk::Kiosk;
use crate::sync;

/// One job and what it keeps between runs.
enum Job {
    /// R-EXP-4: once per store-local day; the day last reviewed.
    DailyReview { last: Option<NaiveDate> },
    /// Voids reservations a killed kiosk left (see `issuing::void_stale_reservations`).
    StaleReservations,
    /// Writes the audit chain's head to the anchor file (only if the chain grew).
    AuditAnchor,
    /// Push the outbox to head office, pull its changes (only with a head office).
    HeadOfficeSync(sync::task::SyncMemory),
}

impl Job {
    fn name(&self) -> &'static str {
        match self {
            Job::DailyReview { .. } => "daily_review",
            Job::StaleReservations => "stale_reservations",
            Job::AuditAnchor => "audit_anchor",
            Job::HeadOfficeSync(_) => "head_office_sync",
        }
    }

    fn every(&self, k: &Kiosk) -> Duration {
        match self {
            // Checks the date: a day's review runs within a minute of midnight.
            Job::DailyReview { .. } => Duration::from_secs(60),
            // Half the card time limit: a stale reservation lives at most 1.5 limits.
            Job::StaleReservations => {
                Duration::from_secs((k.config.card_issue_limit_seconds / 2).clamp(1, 60))
            }
            // A tail cut off later than the last anchor is the most the kiosk can lose unseen.
            Job::AuditAnchor => Duration::from_secs(15 * 60),
            // The plan decides what is due each tick (pull period, backoff).
            Job::HeadOfficeSync(_) => {
                Duration::from_millis(k.config.head_office.push_every_ms.max(1))
            }
        }
    }

    async fn run(&mut self, k: &Kiosk) {
        match self {
            Job::DailyReview { last } => review::review_if_due(k, last).await,
            Job::StaleReservations => {
                if let Err(error) = issuing::void_stale_reservations(k).await {
                    tracing::error!(%error, "stale reservation sweep failed; retrying");
                }
            }
            Job::AuditAnchor => {
                if let Err(error) = k.anchor_audit("periodic").await {
                    tracing::error!(%error, "audit head not anchored; retrying");
                }
            }
            Job::HeadOfficeSync(memory) => sync::task::run_due(k, memory).await,
        }
    }
}

/// The running jobs; [`JobRunner::stop`] ends them.
pub struct JobRunner {
    stop: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
    /// What the start-up settlement found.
    pub settled: printing::SettledJobs,
}

impl JobRunner {
    /// Settles the print jobs a stopped kiosk left pending (before any new job can start),
    /// then starts every job. Errs only if the settlement's database work fails.
    pub async fn start(k: &Kiosk) -> Result<JobRunner, FlowError> {
        let settled = printing::settle_pending(k).await?;
        let (stop, stopped) = watch::channel(false);
        let mut jobs = vec![
            Job::DailyReview { last: None },
            Job::StaleReservations,
            Job::AuditAnchor,
        ];
        if k.head_office.is_some() {
            jobs.push(Job::HeadOfficeSync(Default::default()));
        }
        let tasks = jobs
            .into_iter()
            .map(|job| {
                let name = job.name();
                (name, tokio::spawn(run(k.clone(), job, stopped.clone())))
            })
            .collect();
        Ok(JobRunner {
            stop,
            tasks,
            settled,
        })
    }

    /// Signals every job to stop and waits for them (a run in progress finishes first).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for (name, task) in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(job = name, "job ended abnormally: {e}");
            }
        }
    }
}

/// Runs `job` at once, then every period, until `stopped` fires.
async fn run(k: Kiosk, mut job: Job, mut stopped: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(job.every(&k));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => job.run(&k).await,
            _ = stopped.changed() => return,
        }
    }
}
