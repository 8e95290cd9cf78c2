//! The real head-office driver: HTTPS with rustls, the chain's CA as the only trusted root,
//! the store's credential as a bearer token, every call with a time limit. No answer, a
//! timeout or a cut body is `Unreachable` (the call may have reached head office: every call
//! is idempotent); a 409 `event_conflict` is a `Conflict`; 401/403 are `Refused`.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{Certificate, StatusCode};
use serde::de::DeserializeOwned;

use super::client::{Call, HeadOffice, HeadOfficeError};
use super::protocol::{
    ChainKeys, ChangesAnswer, Conflict, EnrolmentCheck, EnrolmentCheckAnswer, ErrorBody,
    PushAnswer, PushRequest, RedemptionAnswer, RedemptionRequest,
};

/// Why the driver could not be built (a configuration fault: the kiosk does not start).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("head office CA file: {0}")]
    Ca(String),
    #[error("head office credential: not a valid header value")]
    Credential,
    #[error("head office client: {0}")]
    Build(String),
}

/// HTTPS client of one head office.
pub struct HttpHeadOffice {
    client: reqwest::Client,
    base: String,
}

impl HttpHeadOffice {
    /// A client of `url` trusting only the CA certificates in `ca_pem`.
    pub fn new(
        url: &str,
        ca_pem: &[u8],
        credential: &str,
        timeout: Duration,
    ) -> Result<HttpHeadOffice, ClientError> {
        let roots =
            Certificate::from_pem_bundle(ca_pem).map_err(|e| ClientError::Ca(e.to_string()))?;
        if roots.is_empty() {
            return Err(ClientError::Ca("no certificate in the PEM file".into()));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {credential}"))
            .map_err(|_| ClientError::Credential)?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            // Only the chain's CA: a public CA's certificate for head office's name is refused.
            .tls_built_in_root_certs(false)
            .https_only(true)
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30));
        for root in roots {
            builder = builder.add_root_certificate(root);
        }
        let client = builder
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(HttpHeadOffice {
            client,
            base: url.trim_end_matches('/').to_owned(),
        })
    }

    /// From the kiosk's configuration (reads the CA file).
    pub fn from_config(
        config: &crate::config::HeadOfficeConfig,
    ) -> Result<Option<HttpHeadOffice>, ClientError> {
        let (Some(url), Some(ca_file), Some(credential)) =
            (&config.url, &config.ca_file, &config.credential)
        else {
            return Ok(None);
        };
        let pem = std::fs::read(ca_file)
            .map_err(|e| ClientError::Ca(format!("{}: {e}", ca_file.display())))?;
        HttpHeadOffice::new(
            url,
            &pem,
            &credential.0,
            Duration::from_millis(config.request_timeout_ms),
        )
        .map(Some)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, HeadOfficeError> {
        let unreachable = |e: reqwest::Error| HeadOfficeError::Unreachable(describe(&e));
        let answer = request.send().await.map_err(unreachable)?;
        let status = answer.status();
        // The whole body first: a body cut off mid-way is no answer at all.
        let body = answer.bytes().await.map_err(unreachable)?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| {
                HeadOfficeError::Unreachable(format!("answer not complete or not ours: {e}"))
            });
        }
        let error: Option<ErrorBody> = serde_json::from_slice(&body).ok();
        let code = error.map(|e| e.code).unwrap_or_default();
        match status {
            StatusCode::CONFLICT if code == "event_conflict" => {
                match serde_json::from_slice::<Conflict>(&body) {
                    Ok(conflict) => Err(HeadOfficeError::Conflict(conflict)),
                    Err(_) => Err(HeadOfficeError::Unexpected {
                        status: status.as_u16(),
                        code,
                    }),
                }
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                Err(HeadOfficeError::Refused(if code.is_empty() {
                    status.to_string()
                } else {
                    code
                }))
            }
            // Head office overloaded, restarting or behind a proxy that lost it: try later.
            StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
            | StatusCode::INTERNAL_SERVER_ERROR => Err(HeadOfficeError::Unreachable(format!(
                "head office answered {status}"
            ))),
            _ => Err(HeadOfficeError::Unexpected {
                status: status.as_u16(),
                code,
            }),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The error's kind and cause without the URL's query (nothing secret is in it, but the
/// cause is what an operator needs).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "answer cut off"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {cause}")
    }
}

impl HeadOffice for HttpHeadOffice {
    fn push<'a>(&'a self, request: &'a PushRequest) -> Call<'a, PushAnswer> {
        Box::pin(self.call(self.client.post(self.url("/sync/v1/push")).json(request)))
    }

    fn changes(&self, after: i64, limit: u32) -> Call<'_, ChangesAnswer> {
        Box::pin(
            self.call(
                self.client
                    .get(self.url("/sync/v1/changes"))
                    .query(&[("after", after), ("limit", i64::from(limit))]),
            ),
        )
    }

    fn redeem<'a>(&'a self, request: &'a RedemptionRequest) -> Call<'a, RedemptionAnswer> {
        Box::pin(
            self.call(
                self.client
                    .post(self.url("/sync/v1/redemptions"))
                    .json(request),
            ),
        )
    }

    fn check_enrolment<'a>(
        &'a self,
        request: &'a EnrolmentCheck,
    ) -> Call<'a, EnrolmentCheckAnswer> {
        Box::pin(
            self.call(
                self.client
                    .post(self.url("/sync/v1/enrolment-check"))
                    .json(request),
            ),
        )
    }

    fn keys(&self) -> Call<'_, ChainKeys> {
        Box::pin(self.call(self.client.get(self.url("/sync/v1/keys"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).expect("CA").pem()
    }

    #[test]
    fn only_a_pem_with_a_certificate_builds_a_client() {
        let t = Duration::from_secs(1);
        assert!(matches!(
            HttpHeadOffice::new("https://127.0.0.1:1", b"not a pem", "0001.x", t),
            Err(ClientError::Ca(_))
        ));
        assert!(matches!(
            HttpHeadOffice::new("https://127.0.0.1:1", ca_pem().as_bytes(), "0001.\n", t),
            Err(ClientError::Credential)
        ));
        assert!(
            HttpHeadOffice::new("https://127.0.0.1:1", ca_pem().as_bytes(), "0001.x", t).is_ok()
        );
    }

    #[tokio::test]
    async fn no_head_office_listening_is_unreachable() {
        let client = HttpHeadOffice::new(
            "https://127.0.0.1:1",
            ca_pem().as_bytes(),
            "0001.x",
            Duration::from_secs(2),
        )
        .expect("client");
        match client.changes(0, 10).await {
            Err(HeadOfficeError::Unreachable(why)) => assert!(why.contains("connect"), "{why}"),
            other => panic!("expected unreachable, got {other:?}"),
        }
    }
}
