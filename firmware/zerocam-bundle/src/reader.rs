//! The streaming bundle reader: bytes go in as they arrive, in pieces of any size. The
//! manifest and its signature are checked before a single payload byte is passed on; then
//! payload bytes go to a sink while each file is hashed. Memory is bounded by the manifest
//! and signature limits, whatever the bundle's size.

use crate::format::{Header, HEADER_LEN};
use crate::keyring::key_id_of;
use crate::{FileEntry, Keyring, Manifest, Refusal};
use sha2::{Digest, Sha256};

/// Where payload bytes go once the manifest is trusted.
pub trait PayloadSink {
    /// The manifest's signature verified and nothing of the payload was passed on yet:
    /// refusing here (wrong board, too big...) stops the bundle before anything is written.
    /// `bundle_len` is the length the whole bundle must have.
    fn accept(&mut self, manifest: &Manifest, bundle_len: u64) -> Result<(), Refusal>;
    /// The next bytes of `file`, in order.
    fn write(&mut self, file: &FileEntry, bytes: &[u8]) -> Result<(), Refusal>;
    /// Every byte of `file` arrived and its SHA-256 is the manifest's.
    fn file_done(&mut self, _file: &FileEntry) -> Result<(), Refusal> {
        Ok(())
    }
}

enum Phase {
    /// Collecting header, manifest and signature into `prefix`.
    Prefix,
    /// Streaming file `index`, `done` bytes of it passed on so far.
    Payload { index: usize, done: u64 },
    /// Every file arrived.
    Complete,
    /// A refusal ended the bundle; nothing more is read.
    Refused(Refusal),
}

pub struct BundleReader<'k> {
    keyring: &'k Keyring,
    phase: Phase,
    prefix: Vec<u8>,
    header: Option<Header>,
    manifest: Option<Manifest>,
    hasher: Sha256,
    received: u64,
}

impl<'k> BundleReader<'k> {
    pub fn new(keyring: &'k Keyring) -> BundleReader<'k> {
        BundleReader {
            keyring,
            phase: Phase::Prefix,
            prefix: Vec::new(),
            header: None,
            manifest: None,
            hasher: Sha256::new(),
            received: 0,
        }
    }

    /// The verified manifest, once the payload has begun.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// Bytes fed so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The whole bundle's length, once the manifest is known.
    pub fn expected_len(&self) -> Option<u64> {
        let header = self.header?;
        self.manifest.as_ref()?.payload_len()?.checked_add(header.prefix_len())
    }

    /// Feeds the next bytes. After a refusal every call returns it again.
    pub fn feed(&mut self, mut data: &[u8], sink: &mut impl PayloadSink) -> Result<(), Refusal> {
        if let Phase::Refused(refusal) = &self.phase {
            return Err(refusal.clone());
        }
        self.received += data.len() as u64;
        let result: Result<(), Refusal> = (|| {
            while !data.is_empty() {
                data = self.step(data, sink)?;
            }
            Ok(())
        })();
        if let Err(refusal) = &result {
            self.phase = Phase::Refused(refusal.clone());
        }
        result
    }

    /// Says the bundle ended: Ok with the manifest if every byte arrived and matched.
    pub fn finish(&mut self) -> Result<&Manifest, Refusal> {
        match &self.phase {
            Phase::Refused(refusal) => Err(refusal.clone()),
            Phase::Complete => self.manifest.as_ref().ok_or_else(|| Refusal::Malformed("no manifest".into())),
            Phase::Prefix | Phase::Payload { .. } => {
                let expected = match self.expected_len() {
                    Some(len) => len,
                    None => self.header.map_or(HEADER_LEN as u64, |header| header.prefix_len()),
                };
                let refusal = Refusal::Truncated { received: self.received, expected };
                self.phase = Phase::Refused(refusal.clone());
                Err(refusal)
            }
        }
    }

    /// Consumes some of `data`, returns the rest.
    fn step<'d>(&mut self, data: &'d [u8], sink: &mut impl PayloadSink) -> Result<&'d [u8], Refusal> {
        match self.phase {
            Phase::Prefix => {
                let want = match self.header {
                    None => HEADER_LEN,
                    Some(header) => header.prefix_len() as usize,
                };
                let take = (want - self.prefix.len()).min(data.len());
                self.prefix.extend_from_slice(&data[..take]);
                if self.prefix.len() == want {
                    match self.header {
                        None => {
                            let fixed: &[u8; HEADER_LEN] = self.prefix[..]
                                .try_into()
                                .map_err(|_| Refusal::Malformed("header".into()))?;
                            self.header = Some(Header::parse(fixed)?);
                        }
                        Some(header) => self.trust_prefix(header, sink)?,
                    }
                }
                Ok(&data[take..])
            }
            Phase::Payload { index, done } => {
                let manifest =
                    self.manifest.as_ref().ok_or_else(|| Refusal::Malformed("no manifest".into()))?;
                let file = &manifest.files[index];
                let take = (file.size - done).min(data.len() as u64) as usize;
                self.hasher.update(&data[..take]);
                sink.write(file, &data[..take])?;
                let done = done + take as u64;
                if done == file.size {
                    let digest = std::mem::take(&mut self.hasher).finalize();
                    if hex(&digest) != file.sha256 {
                        return Err(Refusal::HashMismatch { file: file.name.clone() });
                    }
                    sink.file_done(file)?;
                    self.phase = self.next_file(index + 1);
                } else {
                    self.phase = Phase::Payload { index, done };
                }
                Ok(&data[take..])
            }
            Phase::Complete => Err(Refusal::SizeMismatch {
                received: self.received,
                expected: self.expected_len().unwrap_or(0),
            }),
            Phase::Refused(ref refusal) => Err(refusal.clone()),
        }
    }

    /// Checks the signature, then the manifest, then lets the sink decide.
    fn trust_prefix(&mut self, header: Header, sink: &mut impl PayloadSink) -> Result<(), Refusal> {
        let manifest_bytes = &self.prefix[HEADER_LEN..HEADER_LEN + header.manifest_len];
        let signature_bytes = &self.prefix[HEADER_LEN + header.manifest_len..];
        verify_signature(self.keyring, manifest_bytes, signature_bytes)?;
        let manifest = Manifest::parse(manifest_bytes)?;
        if manifest.format != header.format {
            return Err(Refusal::Malformed("header and manifest disagree on the format".into()));
        }
        let bundle_len = manifest
            .payload_len()
            .and_then(|len| len.checked_add(header.prefix_len()))
            .ok_or_else(|| Refusal::Malformed("sizes overflow".into()))?;
        sink.accept(&manifest, bundle_len)?;
        self.manifest = Some(manifest);
        self.prefix = Vec::new();
        self.phase = self.next_file(0);
        Ok(())
    }

    /// The phase for file `index` (skipping empty files, which have nothing to stream).
    fn next_file(&mut self, index: usize) -> Phase {
        let Some(manifest) = self.manifest.as_ref() else { return Phase::Complete };
        let mut index = index;
        while let Some(file) = manifest.files.get(index) {
            if file.size > 0 {
                self.hasher = Sha256::new();
                return Phase::Payload { index, done: 0 };
            }
            // An empty file still has to be the empty file the manifest names.
            if hex(&Sha256::digest([])) != file.sha256 {
                return Phase::Refused(Refusal::HashMismatch { file: file.name.clone() });
            }
            index += 1;
        }
        Phase::Complete
    }
}

/// The manifest must carry a valid signature by a key in the keyring.
pub(crate) fn verify_signature(keyring: &Keyring, manifest: &[u8], signature: &[u8]) -> Result<(), Refusal> {
    let text =
        std::str::from_utf8(signature).map_err(|_| Refusal::Malformed("the signature is not text".into()))?;
    let parsed = minisign_verify::Signature::decode(text)
        .map_err(|err| Refusal::Malformed(format!("the signature is not a minisign signature: {err}")))?;
    let key_id = text
        .lines()
        .nth(1)
        .and_then(key_id_of)
        .ok_or_else(|| Refusal::Malformed("the signature carries no key id".into()))?;
    let key = keyring.find(&key_id).ok_or_else(|| Refusal::UnknownKey { key_id: key_id.clone() })?;
    key.key.verify(manifest, &parsed, false).map_err(|_| Refusal::BadSignature { key_id })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
