//! SCRAM logins (RFC 5802; SHA-256 per RFC 7677, SHA-512 as Kafka speaks
//! it, SHA-1 as MongoDB's older users need), without channel binding: the
//! client proves it knows the password without sending it, and the server
//! proves it knows it too. PostgreSQL's, Kafka's and MongoDB's logins share
//! this one exchange.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::{digest, hmac, pbkdf2, rand::SecureRandom};

use super::outcome::{Failure, Stage};

/// The most SCRAM iterations waitfor computes (PostgreSQL's default is 4096,
/// Kafka's 4096 to 8192): the key derivation runs on the event loop, and a
/// server asking for billions must not stall every other target and the
/// deadline with it.
const MOST_SCRAM_ITERATIONS: u32 = 100_000;

/// The hash a SCRAM mechanism is named for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// MongoDB's SCRAM-SHA-1, for servers and users without SHA-256.
    Sha1,
    Sha256,
    Sha512,
}

impl Hash {
    fn pbkdf2(self) -> pbkdf2::Algorithm {
        match self {
            Hash::Sha1 => pbkdf2::PBKDF2_HMAC_SHA1,
            Hash::Sha256 => pbkdf2::PBKDF2_HMAC_SHA256,
            Hash::Sha512 => pbkdf2::PBKDF2_HMAC_SHA512,
        }
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            Hash::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Hash::Sha256 => hmac::HMAC_SHA256,
            Hash::Sha512 => hmac::HMAC_SHA512,
        }
    }

    fn digest(self) -> &'static digest::Algorithm {
        match self {
            Hash::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Hash::Sha256 => &digest::SHA256,
            Hash::Sha512 => &digest::SHA512,
        }
    }

    fn length(self) -> usize {
        self.digest().output_len()
    }
}

/// One SCRAM exchange.
pub struct Scram {
    hash: Hash,
    nonce: String,
    client_first_bare: String,
    /// Set by the client-final step: what the server's signature must be.
    server_signature: Option<Vec<u8>>,
}

impl Scram {
    /// An exchange for `user` (empty where the protocol names the user elsewhere).
    pub fn new(hash: Hash, user: &str) -> Result<Self, Failure> {
        let mut random = [0u8; 18];
        ring::rand::SystemRandom::new()
            .fill(&mut random)
            .map_err(|_| Failure::new("no randomness for the login's nonce"))?;
        let nonce = BASE64.encode(random);
        // RFC 5802's saslname: '=' and ',' are escaped.
        let user = user.replace('=', "=3D").replace(',', "=2C");
        Ok(Scram {
            hash,
            client_first_bare: format!("n={user},r={nonce}"),
            nonce,
            server_signature: None,
        })
    }

    pub fn client_first(&self) -> String {
        format!("n,,{}", self.client_first_bare)
    }

    pub fn client_final(&mut self, password: &str, server_first: &[u8]) -> Result<String, Failure> {
        let hash = self.hash;
        let server_first = String::from_utf8_lossy(server_first).into_owned();
        let field = |name: &str| {
            server_first
                .split(',')
                .find_map(|part| part.strip_prefix(name))
                .ok_or_else(|| Failure::new(format!("the server's SCRAM reply lacks {name}")))
        };
        let nonce = field("r=")?;
        if !nonce.starts_with(&self.nonce) {
            return Err(Failure::new("the server's SCRAM nonce is not ours"));
        }
        let salt = BASE64
            .decode(field("s=")?)
            .map_err(|_| Failure::new("the server's SCRAM salt is not base64"))?;
        let iterations = field("i=")?
            .parse()
            .ok()
            .and_then(std::num::NonZeroU32::new)
            .ok_or_else(|| Failure::new("the server's SCRAM iteration count is not a number"))?;
        if iterations.get() > MOST_SCRAM_ITERATIONS {
            return Err(Failure::new(format!(
                "the server asks for {iterations} SCRAM iterations, more than the {MOST_SCRAM_ITERATIONS} waitfor computes"
            )));
        }
        let mut salted = vec![0u8; hash.length()];
        pbkdf2::derive(
            hash.pbkdf2(),
            iterations,
            &salt,
            password.as_bytes(),
            &mut salted,
        );
        let salted = hmac::Key::new(hash.hmac(), &salted);
        let client_key = hmac::sign(&salted, b"Client Key");
        let stored_key = digest::digest(hash.digest(), client_key.as_ref());
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let signature = hmac::sign(
            &hmac::Key::new(hash.hmac(), stored_key.as_ref()),
            auth_message.as_bytes(),
        );
        let proof: Vec<u8> = client_key
            .as_ref()
            .iter()
            .zip(signature.as_ref())
            .map(|(key, signature)| key ^ signature)
            .collect();
        let server_key = hmac::sign(&salted, b"Server Key");
        self.server_signature = Some(
            hmac::sign(
                &hmac::Key::new(hash.hmac(), server_key.as_ref()),
                auth_message.as_bytes(),
            )
            .as_ref()
            .to_vec(),
        );
        Ok(format!("{without_proof},p={}", BASE64.encode(proof)))
    }

    /// The server proves it knows the password too: a server that does not is not the one meant.
    pub fn verify_server(&self, server_final: &[u8]) -> Result<(), Failure> {
        let text = String::from_utf8_lossy(server_final);
        // RFC 5802's server-error: the login is refused, in the server's words.
        if let Some(error) = text.strip_prefix("e=") {
            return Err(
                Failure::new(format!("the server refused the login ({error})"))
                    .at(Stage::Answered("login refused".into())),
            );
        }
        let given = text
            .strip_prefix("v=")
            .and_then(|signature| BASE64.decode(signature.trim()).ok());
        match (given, &self.server_signature) {
            (Some(given), Some(expected)) if given == *expected => Ok(()),
            _ => Err(Failure::new(
                "the server's SCRAM signature is wrong: not the server the password is for",
            )),
        }
    }
}
