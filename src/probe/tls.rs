//! TLS for `https://`, `rediss://` and `grpcs://` targets, with rustls (no OpenSSL: the
//! binary stays static).
//!
//! Servers are verified against web roots compiled into the binary (a scratch
//! image has no CA files) plus any `--ca-cert`; `--insecure` verifies nothing.
//! A server certificate that is itself one of the `--ca-cert` certificates is
//! trusted, as curl and OpenSSL trust it: that is how a self-signed
//! certificate is given, and OpenSSL 3 marks those `CA:TRUE`, which webpki
//! alone refuses at the end of a chain. Every failure is told in words (the
//! date a certificate expired, the names it is for), never as a library's
//! debug text. The client configuration is built at the first TLS target, so
//! waitfor pays nothing for TLS when no target uses it.

use std::cell::OnceCell;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::outcome::Failure;
use crate::human;
use crate::local_file;
use crate::url::Host;

/// How TLS targets verify their server, from `--ca-cert` and `--insecure`,
/// and the certificate they show it, from `--client-cert` and `--client-key`.
pub struct Tls {
    /// Whether the bundled web roots are trusted (not for a cluster's own CA).
    web_roots: bool,
    extra_roots: Vec<CertificateDer<'static>>,
    insecure: bool,
    identity: Option<Arc<CertifiedKey>>,
    config: OnceCell<Arc<ClientConfig>>,
}

/// The bundled web roots, verified: TLS as it is when no option is given.
impl Default for Tls {
    fn default() -> Self {
        Tls {
            web_roots: true,
            extra_roots: Vec::new(),
            insecure: false,
            identity: None,
            config: OnceCell::new(),
        }
    }
}

impl Tls {
    /// Reads `--ca-cert` and the client certificate and key now, so a bad
    /// file, or a key that is not the certificate's, is a usage error before
    /// anything runs.
    pub fn new(
        ca_cert: Option<&Path>,
        insecure: bool,
        client: Option<(&Path, &Path)>,
    ) -> Result<Self, String> {
        let extra_roots = match ca_cert {
            None => Vec::new(),
            Some(path) => certificates("--ca-cert", path)?,
        };
        let identity = match client {
            None => None,
            Some((cert, key)) => {
                let chain = certificates("--client-cert", cert)?;
                let pem = local_file::read(key, local_file::SECRET_AT_MOST)
                    .map_err(|error| format!("--client-key {error}"))?;
                let mismatch = format!(
                    "--client-key {} is not the key of --client-cert {}",
                    shown(key),
                    shown(cert)
                );
                Some(identity(
                    chain,
                    &pem,
                    &format!("--client-key {}", shown(key)),
                    mismatch,
                )?)
            }
        };
        Ok(Tls {
            web_roots: true,
            extra_roots,
            insecure,
            identity,
            config: OnceCell::new(),
        })
    }

    /// A Kubernetes API server's TLS, from what a kubeconfig or the service
    /// account holds (PEM, not paths): its cluster's CA alone, as kubectl
    /// trusts it (the web roots only where no CA is given), and the client
    /// certificate and key, if any. `source` names where they came from.
    pub fn cluster(
        ca: Option<&[u8]>,
        client: Option<(&[u8], &[u8])>,
        insecure: bool,
        source: &str,
    ) -> Result<Self, String> {
        let identity = match client {
            None => None,
            Some((cert, key)) => Some(identity(
                parsed_certificates(&format!("{source}: the client certificate"), cert)?,
                key,
                &format!("{source}: the client key"),
                format!("{source}: the client key is not the client certificate's"),
            )?),
        };
        Ok(Tls {
            web_roots: ca.is_none(),
            extra_roots: match ca {
                Some(pem) => parsed_certificates(&format!("{source}: the CA"), pem)?,
                None => Vec::new(),
            },
            insecure,
            identity,
            config: OnceCell::new(),
        })
    }

    /// Whether `--client-cert` gives the server a certificate.
    pub fn has_identity(&self) -> bool {
        self.identity.is_some()
    }

    /// The connector every TLS target shares, built at the first one.
    pub fn connector(&self) -> Result<TlsConnector, String> {
        Ok(TlsConnector::from(self.config()?))
    }

    /// The same, offering HTTP/2 by ALPN, as gRPC servers require.
    pub fn http2_connector(&self) -> Result<TlsConnector, String> {
        let mut config = ClientConfig::clone(&*self.config()?);
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(TlsConnector::from(Arc::new(config)))
    }

    fn config(&self) -> Result<Arc<ClientConfig>, String> {
        if let Some(config) = self.config.get() {
            return Ok(Arc::clone(config));
        }
        let provider = Arc::new(ring::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|error| format!("TLS: {error}"))?;
        let webpki = if self.insecure {
            None
        } else {
            let mut roots = RootCertStore {
                roots: match self.web_roots {
                    true => webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                    false => Vec::new(),
                },
            };
            for root in &self.extra_roots {
                roots
                    .add(root.clone())
                    .map_err(|error| format!("--ca-cert: {error}"))?;
            }
            let verifier =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                    .build()
                    .map_err(|error| format!("--ca-cert: {error}"))?;
            Some(verifier)
        };
        let verifier = Arc::new(Verifier {
            webpki,
            given: self.extra_roots.clone(),
            provider,
        });
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let config = match &self.identity {
            Some(identity) => builder
                .with_client_cert_resolver(Arc::new(SingleCertAndKey::from(Arc::clone(identity)))),
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::clone(self.config.get_or_init(|| Arc::new(config))))
    }
}

/// A file's path as a message quotes it: one line, not too long.
fn shown(path: &Path) -> String {
    human::quoted(&path.display().to_string())
}

/// What is wrong with a PEM file, in words that quote none of it (a key
/// file's lines are its secret).
fn pem_error(error: &pem::Error) -> &'static str {
    match error {
        pem::Error::MissingSectionEnd { .. } => "a PEM section is never ended",
        pem::Error::IllegalSectionStart { .. } => "a PEM section starts with a malformed line",
        pem::Error::Base64Decode(_) => "a PEM section is not valid base64",
        pem::Error::NoItemsFound => "no PEM item of the kind wanted in it",
        pem::Error::SectionTooLarge => "a PEM section is too large",
        _ => "it cannot be read as PEM",
    }
}

/// The PEM certificates in the file `option` names; at least one.
fn certificates(option: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = local_file::read(path, local_file::CERTIFICATES_AT_MOST)
        .map_err(|error| format!("{option} {error}"))?;
    parsed_certificates(&format!("{option} {}", shown(path)), &pem)
}

/// The PEM certificates in `pem`, which `what` names; at least one.
fn parsed_certificates(what: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("{what}: {}", pem_error(&error)))?;
    match certificates.is_empty() {
        true => Err(format!("{what}: no PEM certificate in it")),
        false => Ok(certificates),
    }
}

/// A client certificate chain and its key (PEM: PKCS#8, or the older PKCS#1
/// and SEC1 forms; RSA, ECDSA or Ed25519), checked to belong together;
/// `what` names the key, `mismatch` says they do not.
fn identity(
    chain: Vec<CertificateDer<'static>>,
    key: &[u8],
    what: &str,
    mismatch: String,
) -> Result<Arc<CertifiedKey>, String> {
    let private_key = PrivateKeyDer::from_pem_slice(key)
        .map_err(|error| format!("{what}: {}", pem_error(&error)))?;
    match CertifiedKey::from_der(chain, private_key, &ring::default_provider()) {
        Ok(identity) => Ok(Arc::new(identity)),
        Err(rustls::Error::InconsistentKeys(_)) => Err(mismatch),
        Err(other) => Err(format!("{what}: {other}")),
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
            .map_err(|_| Failure::new(format!("TLS: {name} is not a name TLS can check")))?,
    };
    connector.connect(name, stream).await.map_err(|error| {
        let reason = match error
            .get_ref()
            .and_then(|e| e.downcast_ref::<rustls::Error>())
        {
            Some(tls) => in_words(tls),
            None if error.kind() == std::io::ErrorKind::UnexpectedEof => {
                "the server closed the connection".to_owned()
            }
            None => human::io_error(&error),
        };
        Failure::new(format!("TLS handshake failed: {reason}"))
    })
}

/// An I/O error in words, the TLS ones too: after the handshake a server
/// may still refuse (TLS 1.3 checks a client certificate then).
pub fn described(error: &std::io::Error) -> String {
    match error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        Some(tls) => format!("TLS: {}", in_words(tls)),
        None => human::io_error(error),
    }
}

/// A TLS failure as a person reads it.
fn in_words(error: &rustls::Error) -> String {
    use CertificateError::*;
    let certificate = match error {
        rustls::Error::InvalidCertificate(certificate) => certificate,
        rustls::Error::InvalidMessage(_) => {
            return "the server does not speak TLS on this port (plain HTTP or another protocol?)"
                .to_owned();
        }
        rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired) => {
            return "the server requires a client certificate (--client-cert, --client-key)"
                .to_owned();
        }
        rustls::Error::AlertReceived(alert) => {
            return format!("the server refused it ({})", words(&format!("{alert:?}")));
        }
        rustls::Error::PeerIncompatible(_) => {
            return "the server and waitfor have no TLS version or cipher suite in common"
                .to_owned();
        }
        rustls::Error::NoCertificatesPresented => {
            return "the server presented no certificate".to_owned();
        }
        _ => return "the server broke the TLS protocol".to_owned(),
    };
    let at =
        |time: &UnixTime| human::date(SystemTime::UNIX_EPOCH + Duration::from_secs(time.as_secs()));
    match certificate {
        ExpiredContext { not_after, .. } => format!("the certificate expired on {}", at(not_after)),
        Expired => "the certificate has expired".to_owned(),
        NotValidYetContext { not_before, .. } => {
            format!("the certificate is not valid until {}", at(not_before))
        }
        NotValidYet => "the certificate is not valid yet".to_owned(),
        NotValidForNameContext {
            expected,
            presented,
        } => {
            let names: Vec<&str> = presented.iter().map(|name| presented_name(name)).collect();
            match names.is_empty() {
                true => format!("the certificate names no host, not {}", expected.to_str()),
                false => format!(
                    "the certificate is for {}, not {}",
                    names.join(", "),
                    expected.to_str()
                ),
            }
        }
        NotValidForName => "the certificate is for other names".to_owned(),
        UnknownIssuer => "the certificate's issuer is not trusted (for a private CA or a \
             self-signed certificate, give it with --ca-cert)"
            .to_owned(),
        BadSignature => "the certificate's signature is not valid".to_owned(),
        BadEncoding => "the certificate is malformed".to_owned(),
        Revoked => "the certificate has been revoked".to_owned(),
        InvalidPurpose | InvalidPurposeContext { .. } => {
            "the certificate is not meant for TLS servers (its extended key usage)".to_owned()
        }
        UnsupportedSignatureAlgorithmContext { .. }
        | UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "the certificate is signed with an algorithm waitfor does not support".to_owned()
        }
        _ => "the certificate was refused".to_owned(),
    }
}

/// `localhost` of webpki's `DnsName("localhost")`, `::1` of `IpAddress(::1)`.
fn presented_name(debug: &str) -> &str {
    let inner = debug
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(debug);
    inner.trim_matches('"')
}

/// `handshake failure` of `HandshakeFailure`.
fn words(camel_case: &str) -> String {
    let mut spaced = String::new();
    for (i, c) in camel_case.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            spaced.push(' ');
        }
        spaced.extend(c.to_lowercase());
    }
    spaced
}

/// How the server's certificate is checked: as webpki does, and also
/// trusting a server certificate that is itself one of the `--ca-cert`
/// certificates; or, with `--insecure`, not at all. The handshake's own
/// signatures are checked either way, so the connection is at least TLS.
#[derive(Debug)]
struct Verifier {
    /// `None` with `--insecure`.
    webpki: Option<Arc<WebPkiServerVerifier>>,
    /// The `--ca-cert` certificates.
    given: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else {
            return Ok(ServerCertVerified::assertion());
        };
        let verified =
            webpki.verify_server_cert(end_entity, intermediates, name, ocsp_response, now);
        let Err(rustls::Error::InvalidCertificate(CertificateError::Other(refused))) = &verified
        else {
            return verified;
        };
        if refused.0.downcast_ref::<webpki::Error>() != Some(&webpki::Error::CaUsedAsEndEntity) {
            return verified;
        }
        if !self
            .given
            .iter()
            .any(|given| given.as_ref() == end_entity.as_ref())
        {
            // A CA certificate at the end of the chain that nobody vouched for.
            return Err(CertificateError::UnknownIssuer.into());
        }
        // webpki checks a certificate's validity period before refusing it
        // as a CA, so its dates are good; its names are checked here.
        verify_server_name(&ParsedCertificate::try_from(end_entity)?, name)?;
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_in_words() {
        let expired = rustls::Error::InvalidCertificate(CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(Duration::from_secs(1_795_000_000)),
            not_after: UnixTime::since_unix_epoch(Duration::from_secs(1_700_000_000)),
        });
        assert_eq!(
            in_words(&expired),
            "the certificate expired on 2023-11-14 22:13:20 UTC"
        );
        let for_others =
            rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                expected: ServerName::try_from("api").unwrap(),
                presented: vec![
                    r#"DnsName("other.example")"#.into(),
                    "IpAddress(10.0.0.1)".into(),
                ],
            });
        assert_eq!(
            in_words(&for_others),
            "the certificate is for other.example, 10.0.0.1, not api"
        );
        assert_eq!(words("HandshakeFailure"), "handshake failure");
    }
}
