//! Card reader calls from async code: on a blocking thread (readers block, and a card that
//! never answers can hold pcscd's reader thread), with a time limit so the operator hears
//! "card not responding" instead of waiting forever.

use std::sync::Arc;
use std::time::Duration;

use super::FlowError;
use crate::card::hub::ReaderEvent;
use crate::card::reader::{CardRead, CardReader, CardSeen, ReaderError, Written};
use crate::card::record::CardIdentity;
use crate::kiosk::Kiosk;

async fn blocking<T: Send + 'static>(
    limit: Duration,
    op: impl FnOnce() -> Result<T, ReaderError> + Send + 'static,
) -> Result<T, FlowError> {
    match tokio::time::timeout(limit, tokio::task::spawn_blocking(op)).await {
        Ok(Ok(result)) => Ok(result?),
        Ok(Err(join)) => {
            Err(ReaderError::Service(format!("card reader task failed: {join}")).into())
        }
        Err(_) => Err(ReaderError::NotResponding.into()),
    }
}

fn limit(k: &Kiosk) -> Duration {
    Duration::from_millis(k.config.card_timeout_ms)
}

/// Reads the card at `workstation`.
pub async fn read(k: &Kiosk, workstation: &str) -> Result<CardRead, FlowError> {
    let (reader, ws): (Arc<dyn CardReader>, String) =
        (k.card_reader.clone(), workstation.to_owned());
    blocking(limit(k), move || reader.read(&ws)).await
}

/// Writes `identity` to the card at `workstation`, which must still show `expected`; the
/// reader's event stream says when the write starts and when it is written and read back.
pub async fn write(
    k: &Kiosk,
    workstation: &str,
    identity: CardIdentity,
    expected: CardSeen,
) -> Result<Written, FlowError> {
    let (reader, ws): (Arc<dyn CardReader>, String) =
        (k.card_reader.clone(), workstation.to_owned());
    k.readers.publish(ReaderEvent::CardWriting {
        workstation: workstation.to_owned(),
    });
    let written = blocking(limit(k), move || reader.write(&ws, &identity, &expected)).await?;
    k.readers.publish(ReaderEvent::CardWritten {
        workstation: workstation.to_owned(),
    });
    Ok(written)
}
