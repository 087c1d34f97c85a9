//! TLS for `https://` and `rediss://` targets, with rustls (no OpenSSL: the
//! binary stays static).
//!
//! Servers are verified against web roots compiled into the binary (a scratch
//! image has no CA files) plus any `--ca-cert`; `--insecure` verifies nothing.
//! The client configuration is built at the first TLS target, so waitfor pays
//! nothing for TLS when no target uses it.

use std::cell::OnceCell;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::Failure;
use crate::target::Host;

/// How TLS targets verify their server, from `--ca-cert` and `--insecure`.
pub struct Tls {
    extra_roots: Vec<CertificateDer<'static>>,
    insecure: bool,
    connector: OnceCell<TlsConnector>,
}

impl Tls {
    /// Reads `--ca-cert` now, so a bad file is a usage error before anything runs.
    pub fn new(ca_cert: Option<&Path>, insecure: bool) -> Result<Self, String> {
        let extra_roots = match ca_cert {
            None => Vec::new(),
            Some(path) => {
                let roots = CertificateDer::pem_file_iter(path)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|error| format!("--ca-cert {}: {error}", path.display()))?;
                if roots.is_empty() {
                    return Err(format!(
                        "--ca-cert {}: no PEM certificate in it",
                        path.display()
                    ));
                }
                roots
            }
        };
        Ok(Tls {
            extra_roots,
            insecure,
            connector: OnceCell::new(),
        })
    }

    /// The connector every TLS target shares, built at the first one.
    pub fn connector(&self) -> Result<TlsConnector, String> {
        if let Some(connector) = self.connector.get() {
            return Ok(connector.clone());
        }
        let provider = Arc::new(ring::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|error| format!("TLS: {error}"))?;
        let config = if self.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
                .with_no_client_auth()
        } else {
            let mut roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            for root in &self.extra_roots {
                roots
                    .add(root.clone())
                    .map_err(|error| format!("--ca-cert: {error}"))?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        let connector = TlsConnector::from(Arc::new(config));
        Ok(self.connector.get_or_init(|| connector).clone())
    }
}

pub async fn handshake(
    connector: &TlsConnector,
    host: &Host,
    stream: TcpStream,
) -> Result<TlsStream<TcpStream>, Failure> {
    let name = match host {
        Host::Ip(address) => ServerName::IpAddress((*address).into()),
        Host::Name(name) => ServerName::try_from(name.trim_end_matches('.').to_owned())
            .map_err(|error| Failure::new(format!("TLS: {name}: {error}")))?,
    };
    connector
        .connect(name, stream)
        .await
        .map_err(|error| Failure::new(format!("TLS handshake failed: {error}")))
}

/// `--insecure`: accepts any certificate, but still checks the handshake's
/// signatures so that the connection is at least TLS.
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
