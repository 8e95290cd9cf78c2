//! The `member-kiosk` binary: parse the command line and config, build the kiosk from config,
//! clock and card writer, and run the chosen subcommand.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use member_kiosk::card::keys::Keyring;
use member_kiosk::card::memory::MemoryCardReader;
use member_kiosk::card::pcsc_reader::PcscReader;
use member_kiosk::card::reader::CardReader;
use member_kiosk::card::tray::CardTray;
use member_kiosk::clock::SystemClock;
use member_kiosk::config::{CardReaderKind, Config};
use member_kiosk::flows::{readers, review};
use member_kiosk::kiosk::Kiosk;
use member_kiosk::store::{audit, Db};
use member_kiosk::{demo, http};

#[derive(Parser)]
#[command(
    name = "member-kiosk",
    version,
    about = "Department-store membership kiosk"
)]
struct Cli {
    /// TOML config file (env vars KIOSK_* override it).
    #[arg(long, short, env = "KIOSK_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the kiosk service (HTTP API + UI, daily annual review).
    Serve,
    /// Create or migrate the database, then exit.
    Migrate,
    /// Run the annual review for a day (default today), then exit.
    Review {
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// Add a new issuer key and make it the one new cards are written with; cards written
    /// under older keys stay readable (the old keys are kept in the key file).
    RotateKey,
    /// Seed a new database with a realistic demo store.
    DemoData {
        #[arg(long, default_value_t = 500)]
        members: usize,
    },
    /// Check the audit trail's hash chain; exits non-zero if a row was edited or removed.
    VerifyAudit,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let config =
        Config::load(cli.config.as_deref(), |k| std::env::var(k).ok()).context("configuration")?;
    let listen = config.listen.clone();
    if let Command::RotateKey = cli.command {
        let mut keys = Keyring::load(&config.key_file)
            .with_context(|| format!("issuer key file {}", config.key_file.display()))?;
        let id = keys
            .rotate(&config.key_file)
            .context("rotating the issuer key")?;
        println!("issuer key {id} is now used for new cards; older keys still verify old cards");
        return Ok(());
    }
    if let Command::VerifyAudit = cli.command {
        let db = Db::open(&config.database, 1)
            .await
            .with_context(|| format!("database {}", config.database.display()))?;
        let report = {
            let mut conn = db.reader.acquire().await.context("database")?;
            audit::verify(&mut conn)
                .await
                .context("reading the audit trail")?
        };
        db.close().await;
        println!("{report}");
        if !report.is_ok() {
            std::process::exit(1);
        }
        return Ok(());
    }
    let keys = Arc::new(issuer_keys(&config)?);
    let card_reader: Arc<dyn CardReader> = match config.card_reader {
        CardReaderKind::Pcsc => Arc::new(PcscReader::new(config.readers.clone(), keys.clone())),
        CardReaderKind::Memory => Arc::new(MemoryCardReader::with_blank_stock(keys.clone())),
    };
    let tray = (!config.demo_tray.is_empty()).then(|| {
        Arc::new(CardTray::new(
            config.demo_tray.clone(),
            config.demo_cards_dir.clone(),
            keys,
        ))
    });
    let mut kiosk = Kiosk::start(config, Arc::new(SystemClock), card_reader)
        .await
        .context("starting the kiosk")?;
    kiosk.tray = tray;
    match cli.command {
        Command::Migrate | Command::RotateKey | Command::VerifyAudit => {
            tracing::info!("database ready")
        }
        Command::Review { date } => {
            let mut action = kiosk.action("system", "cli");
            if let Some(d) = date {
                action.today = d;
            }
            let summary = review::run_review(&kiosk, &action).await?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::DemoData { members } => {
            let summary = demo::seed(&kiosk, members).await?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::Serve => {
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            tracing::info!(address = %listener.local_addr()?, store = %kiosk.config.store_id, "kiosk serving");
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let daily = tokio::spawn(review::run_daily(kiosk.clone(), stopped));
            if kiosk.config.card_reader == CardReaderKind::Pcsc {
                readers::start(&kiosk).context("starting the card reader monitor")?;
            }
            http::serve(listener, kiosk.clone(), shutdown_signal()).await?;
            let _ = stop.send(true);
            kiosk.readers.stop();
            let _ = daily.await;
        }
    }
    kiosk.db.close().await;
    Ok(())
}

/// Ctrl-C or SIGTERM (systemd, `kill`): stop taking requests, finish those in flight.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}

/// The issuer keys: `KIOSK_ISSUER_KEY` (hex, for deployments that inject secrets) or the key
/// file, created with a random key on first run.
fn issuer_keys(config: &Config) -> anyhow::Result<Keyring> {
    if let Ok(hex) = std::env::var("KIOSK_ISSUER_KEY") {
        let id = std::env::var("KIOSK_ISSUER_KEY_ID")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        return Keyring::from_env_value(&hex, id).context("KIOSK_ISSUER_KEY");
    }
    Keyring::load_or_create(&config.key_file)
        .with_context(|| format!("issuer key file {}", config.key_file.display()))
}
