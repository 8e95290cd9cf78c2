//! The group-commit writer: one task owns the SQLite writer and puts concurrent writes (sales,
//! audit rows, print results) into one transaction, each in a savepoint of its own, so many
//! writes share one fsync and a refused write never touches another. A waiting caller gets its
//! answer only once the transaction is durable.

use std::future::Future;
use std::pin::Pin;

use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::StoreError;

/// A boxed, sendable future (the writes' futures borrow the batch's connection).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One queued write, with its result type erased so different writes share a batch.
trait Item: Send {
    /// Runs the write inside its savepoint; true if it succeeded (the savepoint is kept).
    fn write<'a>(&'a mut self, conn: &'a mut SqliteConnection) -> BoxFuture<'a, bool>;
    /// After the batch: `Err(why)` when the transaction did not commit.
    fn settle(self: Box<Self>, committed: Result<(), &str>);
}

/// A write whose caller waits for its durable result.
struct Waited<T, E, F> {
    write: Option<F>,
    outcome: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Item for Waited<T, E, F>
where
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, E>> + Send,
    T: Send,
    E: From<StoreError> + Send,
{
    fn write<'a>(&'a mut self, conn: &'a mut SqliteConnection) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let Some(write) = self.write.take() else {
                return false;
            };
            let outcome = write(conn).await;
            let ok = outcome.is_ok();
            self.outcome = Some(outcome);
            ok
        })
    }

    fn settle(self: Box<Self>, committed: Result<(), &str>) {
        let answer = match (committed, self.outcome) {
            (Ok(()), Some(outcome)) => outcome,
            (Err(why), _) => Err(not_committed(why).into()),
            (Ok(()), None) => Err(not_committed("the write did not run").into()),
        };
        // The caller may have gone (a till timed out): the write stands, a retry replays it.
        let _ = self.reply.send(answer);
    }
}

/// A write nobody waits for (a print result): a failure is logged.
struct Unwaited<F> {
    what: &'static str,
    write: Option<F>,
    error: Option<String>,
}

impl<E, F> Item for Unwaited<F>
where
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<(), E>> + Send,
    E: std::fmt::Display,
{
    fn write<'a>(&'a mut self, conn: &'a mut SqliteConnection) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let Some(write) = self.write.take() else {
                return false;
            };
            match write(conn).await {
                Ok(()) => true,
                Err(e) => {
                    self.error = Some(e.to_string());
                    false
                }
            }
        })
    }

    fn settle(self: Box<Self>, committed: Result<(), &str>) {
        let error = committed.err().map(str::to_owned).or(self.error);
        if let Some(error) = error {
            tracing::error!(what = self.what, %error, "write not recorded");
        }
    }
}

fn not_committed(why: &str) -> StoreError {
    StoreError::Open(format!("not committed: {why}"))
}

/// Handle to the writer task.
#[derive(Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Box<dyn Item>>,
}

impl GroupCommit {
    /// Starts the writer on `writer`; it puts at most `batch_max` writes in a transaction.
    pub fn start(writer: SqlitePool, batch_max: usize) -> GroupCommit {
        let (queue, rx) = mpsc::channel(batch_max * 8);
        tokio::spawn(run(writer, rx, batch_max));
        GroupCommit { queue }
    }

    /// Runs `write` with the next batch and answers its result once the batch is durable (a
    /// write that fails is rolled back to its savepoint and answers its error).
    pub async fn write<T, E, F>(&self, write: F) -> Result<T, E>
    where
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let item = Box::new(Waited {
            write: Some(write),
            outcome: None,
            reply,
        });
        self.queue
            .send(item)
            .await
            .map_err(|_| StoreError::Open("group-commit writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Open("group-commit writer stopped".into()))?
    }

    /// Queues `write` with the next batch and never waits (a failure is logged as `what`).
    pub fn write_later<E, F>(&self, what: &'static str, write: F)
    where
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<(), E>>
            + Send
            + 'static,
        E: std::fmt::Display + 'static,
    {
        let item: Box<dyn Item> = Box::new(Unwaited {
            what,
            write: Some(write),
            error: None,
        });
        if let Err(mpsc::error::TrySendError::Full(item)) = self.queue.try_send(item) {
            let queue = self.queue.clone();
            tokio::spawn(async move {
                let _ = queue.send(item).await;
            });
        }
    }
}

async fn run(writer: SqlitePool, mut rx: mpsc::Receiver<Box<dyn Item>>, batch_max: usize) {
    let mut batch = Vec::with_capacity(batch_max);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let committed = commit_batch(&writer, &mut batch).await;
        let committed = committed.as_ref().copied().map_err(String::as_str);
        for item in batch.drain(..) {
            item.settle(committed);
        }
    }
}

// The explicit `Send` future type works around the compiler's higher-ranked lifetime
// inference on sqlx executors inside `tokio::spawn`.
fn commit_batch<'a>(
    writer: &'a SqlitePool,
    batch: &'a mut [Box<dyn Item>],
) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let mut tx = writer.begin().await.map_err(|e| e.to_string())?;
        for item in batch.iter_mut() {
            sqlx::query("SAVEPOINT item")
                .execute(&mut *tx)
                .await
                .map_err(|e| e.to_string())?;
            if !item.write(&mut tx).await {
                sqlx::query("ROLLBACK TO item")
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            sqlx::query("RELEASE item")
                .execute(&mut *tx)
                .await
                .map_err(|e| e.to_string())?;
        }
        tx.commit().await.map_err(|e| e.to_string())
    })
}
