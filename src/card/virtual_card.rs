//! A virtual member card: a small ISO 7816-4 card OS that plugs into the vsmartcard `vpcd` reader driver over TCP.
//!
//! The card *is* the vpcd client: [`VirtualCard::insert`] connects to the port of a `vpcd` reader (connecting is
//! inserting, closing the socket is removing) and serves it on a background thread. Both directions carry
//! frames of a 2-byte big-endian length and a payload; a 1-byte payload from the reader is a control message
//! (`00` power off, `01` power on, `02` reset, `04` get ATR — only get ATR is answered), anything else is a
//! command APDU answered with the response APDU.
//!
//! The card OS knows an MF, DFs (with a DF name) and transparent EFs (with a short EF id), and the commands
//! the kiosk uses: SELECT, CREATE FILE, READ BINARY, UPDATE BINARY, and the PC/SC GET DATA (UID)
//! pseudo-APDU `FF CA`. The card's state is shared (`Clone` is the same card), so a test can look at and
//! change the files between operations, and [`Faults`] make it pull itself mid-write, after a read, answer
//! slowly or answer garbage.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// ATR of a card made by [`VirtualCard::blank`]: T=0 and T=1 offered, 12 proprietary historical bytes
/// ("MEMBERKIOSK1"), and the check byte TCK.
pub const CONTACT_ATR: [u8; 17] = [
    0x3B, 0x8C, 0x80, 0x01, 0x4D, 0x45, 0x4D, 0x42, 0x45, 0x52, 0x4B, 0x49, 0x4F, 0x53, 0x4B, 0x31,
    0x79,
];

/// ATR of a card made by [`VirtualCard::contactless`]: what a PC/SC contactless reader reports for a
/// MIFARE Classic 1K (PC/SC part 3 storage-card ATR, with TCK).
pub const CONTACTLESS_ATR: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x6A,
];

/// Bytes of EF content the card can hold, all EFs together (CREATE FILE beyond it: `6A 84`).
pub const MEMORY_LIMIT: usize = 4096;
/// Files (DFs and EFs, the MF not counted) the card can hold (CREATE FILE beyond it: `6A 84`).
pub const MAX_FILES: usize = 64;

const MF_FID: u16 = 0x3F00;
const MAX_DF_NAME: usize = 16;
const IMAGE_FORMAT: &str = "member-kiosk/virtual-card/1";
/// How often the serving thread looks at the stop flag while waiting for the reader.
const POLL: Duration = Duration::from_millis(20);
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

const SW_OK: u16 = 0x9000;
const SW_END_OF_FILE: u16 = 0x6282;
const SW_WRONG_LENGTH: u16 = 0x6700;
const SW_NO_CURRENT_EF: u16 = 0x6986;
const SW_BAD_DATA: u16 = 0x6A80;
const SW_FUNC_NOT_SUPPORTED: u16 = 0x6A81;
const SW_NOT_FOUND: u16 = 0x6A82;
const SW_NO_MEMORY: u16 = 0x6A84;
const SW_WRONG_P1P2: u16 = 0x6A86;
const SW_LC_INCONSISTENT: u16 = 0x6A87;
const SW_EXISTS: u16 = 0x6A89;
const SW_WRONG_OFFSET: u16 = 0x6B00;
const SW_INS_NOT_SUPPORTED: u16 = 0x6D00;
const SW_CLA_NOT_SUPPORTED: u16 = 0x6E00;

/// Faults the card injects while inserted. `Faults::default()` is a well-behaved card.
///
/// The two removal faults count commands since the card was last inserted, and each fires once: after it
/// pulled the card it is cleared, so the card can be re-inserted and used normally.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Close the socket (card pulled) when the Nth UPDATE BINARY (1-based, counted since insertion) arrives;
    /// `torn_bytes` of its data are written first (0 = nothing written) — a torn slot.
    pub remove_on_update: Option<(u32, usize)>,
    /// Close the socket right after answering the Nth READ BINARY (card pulled between read and write).
    pub remove_after_read: Option<u32>,
    /// Wait this long before answering every APDU (a slow card).
    pub delay: Duration,
    /// Answer APDUs with this garbage instead (e.g. a 1-byte answer).
    pub garbage: Option<Vec<u8>>,
}

/// A virtual card. `Clone` gives another handle to the same card (shared state).
#[derive(Clone, Debug)]
pub struct VirtualCard {
    state: Arc<Mutex<CardState>>,
}

/// The card while it sits in a reader. Dropping it removes the card, like [`InsertedCard::remove`].
#[must_use = "dropping an InsertedCard removes the card from the reader"]
#[derive(Debug)]
pub struct InsertedCard {
    socket: TcpStream,
    stop: Arc<AtomicBool>,
    alive: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Node {
    Df {
        fid: u16,
        #[serde(with = "hex_opt", default, skip_serializing_if = "Option::is_none")]
        name: Option<Vec<u8>>,
        children: Vec<Node>,
    },
    Ef {
        fid: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sfi: Option<u8>,
        #[serde(with = "hex_bytes")]
        data: Vec<u8>,
    },
}

impl Node {
    fn fid(&self) -> u16 {
        match self {
            Node::Df { fid, .. } | Node::Ef { fid, .. } => *fid,
        }
    }

    fn children(&self) -> &[Node] {
        match self {
            Node::Df { children, .. } => children,
            Node::Ef { .. } => &[],
        }
    }

    fn is_df(&self) -> bool {
        matches!(self, Node::Df { .. })
    }

    fn sfi(&self) -> Option<u8> {
        match self {
            Node::Ef { sfi, .. } => *sfi,
            Node::Df { .. } => None,
        }
    }

    fn name(&self) -> Option<&[u8]> {
        match self {
            Node::Df { name, .. } => name.as_deref(),
            Node::Ef { .. } => None,
        }
    }

    /// Files below this one (not counting itself) and the EF bytes they hold.
    fn usage(&self) -> (usize, usize) {
        self.children()
            .iter()
            .fold((0, 0), |(files, bytes), child| {
                let own = match child {
                    Node::Ef { data, .. } => data.len(),
                    Node::Df { .. } => 0,
                };
                let (f, b) = child.usage();
                (files + 1 + f, bytes + own + b)
            })
    }

    fn has_df_name(&self, wanted: &[u8]) -> bool {
        self.name() == Some(wanted) || self.children().iter().any(|c| c.has_df_name(wanted))
    }
}

#[derive(Debug)]
struct CardState {
    atr: Vec<u8>,
    uid: Option<Vec<u8>>,
    /// A contactless storage card (MIFARE-like): no CREATE FILE.
    storage_only: bool,
    mf: Node,
    /// Path of child indices from the MF to the current DF.
    cur_df: Vec<usize>,
    /// Index of the current EF among the current DF's children.
    cur_ef: Option<usize>,
    faults: Faults,
    apdu_count: u64,
    inserted: bool,
    /// Counters for the removal faults when the card is used through [`VirtualCard::respond`].
    direct: Session,
}

/// What the serving thread does with an APDU.
enum Outcome {
    Answer(Vec<u8>),
    AnswerThenPull(Vec<u8>),
    Pull,
}

/// Counters since insertion.
#[derive(Debug, Default)]
struct Session {
    updates: u32,
    reads: u32,
}

/// A parsed short command APDU.
struct Apdu<'a> {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: &'a [u8],
    /// Expected length, `Some(256)` for an Le byte of `00`.
    le: Option<usize>,
}

/// Parses a short APDU (cases 1–4). Extended lengths and inconsistent Lc are `None`.
fn parse_apdu(bytes: &[u8]) -> Option<Apdu<'_>> {
    let (&[cla, ins, p1, p2], body) = bytes.split_first_chunk::<4>()?;
    let le_of = |b: u8| if b == 0 { 256 } else { usize::from(b) };
    let (data, le) = match body {
        [] => (&body[..0], None),
        [le] => (&body[..0], Some(le_of(*le))),
        [lc, rest @ ..] => {
            let lc = usize::from(*lc);
            if lc == 0 {
                return None;
            }
            match rest.len().checked_sub(lc)? {
                0 => (rest, None),
                1 => (rest.get(..lc)?, rest.get(lc).map(|b| le_of(*b))),
                _ => return None,
            }
        }
    };
    Some(Apdu {
        cla,
        ins,
        p1,
        p2,
        data,
        le,
    })
}

fn sw(sw: u16) -> Vec<u8> {
    sw.to_be_bytes().to_vec()
}

fn data_sw(data: &[u8], status: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 2);
    out.extend_from_slice(data);
    out.extend_from_slice(&status.to_be_bytes());
    out
}

/// One BER-TLV length: short form or `81 xx` / `82 xx xx`. Returns the length and the bytes used.
fn ber_len(bytes: &[u8]) -> Option<(usize, usize)> {
    match *bytes.first()? {
        n @ 0x00..=0x7F => Some((usize::from(n), 1)),
        0x81 => Some((usize::from(*bytes.get(1)?), 2)),
        0x82 => Some((
            usize::from(u16::from_be_bytes([*bytes.get(1)?, *bytes.get(2)?])),
            3,
        )),
        _ => None,
    }
}

/// Splits a sequence of BER-TLVs into (first tag byte, value); multi-byte tags are kept with their first byte.
fn parse_tlvs(mut bytes: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while let Some(&tag) = bytes.first() {
        let mut used = 1;
        if tag & 0x1F == 0x1F {
            loop {
                let b = *bytes.get(used)?;
                used += 1;
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let (len, len_bytes) = ber_len(bytes.get(used..)?)?;
        let start = used + len_bytes;
        let value = bytes.get(start..start.checked_add(len)?)?;
        out.push((tag, value));
        bytes = bytes.get(start + len..)?;
    }
    Some(out)
}

fn reserved_fid(fid: u16) -> bool {
    matches!(fid, MF_FID | 0x3FFF | 0xFFFF)
}

/// The FCP template (`62 L …`) returned by SELECT.
fn fcp(node: &Node) -> Vec<u8> {
    let mut inner = Vec::new();
    let [hi, lo] = node.fid().to_be_bytes();
    match node {
        Node::Df { name, .. } => {
            inner.extend_from_slice(&[0x82, 0x01, 0x38, 0x83, 0x02, hi, lo]);
            if let Some(name) = name {
                inner.extend_from_slice(&[0x84, name.len() as u8]);
                inner.extend_from_slice(name);
            }
        }
        Node::Ef { sfi, data, .. } => {
            let [s_hi, s_lo] = (data.len() as u16).to_be_bytes();
            inner
                .extend_from_slice(&[0x80, 0x02, s_hi, s_lo, 0x82, 0x01, 0x01, 0x83, 0x02, hi, lo]);
            if let Some(sfi) = sfi {
                inner.extend_from_slice(&[0x88, 0x01, sfi << 3]);
            }
        }
    }
    let mut out = vec![0x62, inner.len() as u8];
    out.extend_from_slice(&inner);
    out
}

fn node_at<'a>(root: &'a Node, path: &[usize]) -> Option<&'a Node> {
    path.iter()
        .try_fold(root, |node, &i| node.children().get(i))
}

fn node_at_mut<'a>(root: &'a mut Node, path: &[usize]) -> Option<&'a mut Node> {
    let mut node = root;
    for &i in path {
        node = match node {
            Node::Df { children, .. } => children.get_mut(i)?,
            Node::Ef { .. } => return None,
        };
    }
    Some(node)
}

/// Depth-first path to the DF named `name`.
fn find_df_by_name(node: &Node, name: &[u8], path: &mut Vec<usize>) -> bool {
    for (i, child) in node.children().iter().enumerate() {
        if !child.is_df() {
            continue;
        }
        path.push(i);
        if child.name() == Some(name) || find_df_by_name(child, name, path) {
            return true;
        }
        path.pop();
    }
    false
}

/// Depth-first path to the first EF with short EF id `sfi`.
fn find_ef_by_sfi(node: &Node, sfi: u8, path: &mut Vec<usize>) -> bool {
    for (i, child) in node.children().iter().enumerate() {
        path.push(i);
        if child.sfi() == Some(sfi) || find_ef_by_sfi(child, sfi, path) {
            return true;
        }
        path.pop();
    }
    false
}

/// The content of the first EF with short EF id `sfi`.
fn ef_by_sfi_mut(root: &mut Node, sfi: u8) -> Option<&mut Vec<u8>> {
    let mut path = Vec::new();
    if !find_ef_by_sfi(root, sfi, &mut path) {
        return None;
    }
    match node_at_mut(root, &path)? {
        Node::Ef { data, .. } => Some(data),
        Node::Df { .. } => None,
    }
}

/// A selection: the DF path and, optionally, an EF index in it.
type Target = (Vec<usize>, Option<usize>);

impl CardState {
    fn new(
        atr: &[u8],
        uid: Option<Vec<u8>>,
        storage_only: bool,
        mf_children: Vec<Node>,
    ) -> CardState {
        CardState {
            atr: atr.to_vec(),
            uid,
            storage_only,
            mf: Node::Df {
                fid: MF_FID,
                name: None,
                children: mf_children,
            },
            cur_df: Vec::new(),
            cur_ef: None,
            faults: Faults::default(),
            apdu_count: 0,
            inserted: false,
            direct: Session::default(),
        }
    }

    fn reset_selection(&mut self) {
        self.cur_df.clear();
        self.cur_ef = None;
    }

    fn current_df(&self) -> Option<&Node> {
        node_at(&self.mf, &self.cur_df)
    }

    fn execute(&mut self, apdu: &Apdu<'_>) -> Vec<u8> {
        match (apdu.cla, apdu.ins) {
            (0xFF, 0xCA) => self.get_uid(apdu),
            (0xFF, _) => sw(SW_INS_NOT_SUPPORTED),
            (0x00, 0xA4) => self.select(apdu),
            (0x00, 0xE0) => self.create_file(apdu),
            (0x00, 0xB0) => self.read_binary(apdu),
            (0x00, 0xD6) => self.update_binary(apdu),
            (0x00, _) => sw(SW_INS_NOT_SUPPORTED),
            _ => sw(SW_CLA_NOT_SUPPORTED),
        }
    }

    fn get_uid(&self, apdu: &Apdu<'_>) -> Vec<u8> {
        if !apdu.data.is_empty() {
            return sw(SW_WRONG_LENGTH);
        }
        match (apdu.p1, apdu.p2) {
            (0x00, 0x00) => {}
            (0x01, 0x00) => return sw(SW_FUNC_NOT_SUPPORTED),
            _ => return sw(SW_WRONG_OFFSET),
        }
        let Some(uid) = self.uid.as_deref().filter(|u| !u.is_empty()) else {
            return sw(SW_FUNC_NOT_SUPPORTED);
        };
        match apdu.le {
            Some(le) if le < uid.len() => sw(0x6C00 | uid.len() as u16),
            _ => data_sw(uid, SW_OK),
        }
    }

    /// The child of the DF at `df_path` with file id `fid`, if it is of the wanted kind.
    fn child_by_fid(&self, df_path: &[usize], fid: u16, want_df: Option<bool>) -> Option<usize> {
        node_at(&self.mf, df_path)?
            .children()
            .iter()
            .position(|c| c.fid() == fid && want_df.is_none_or(|df| c.is_df() == df))
    }

    fn fid_arg(data: &[u8]) -> Result<u16, u16> {
        match data {
            [hi, lo] => Ok(u16::from_be_bytes([*hi, *lo])),
            _ => Err(SW_LC_INCONSISTENT),
        }
    }

    /// Resolves a path of FIDs from `start`: every FID but the last names a DF, the last a DF or an EF.
    fn walk_path(&self, start: Vec<usize>, data: &[u8]) -> Result<Target, u16> {
        if data.is_empty() || !data.len().is_multiple_of(2) {
            return Err(SW_LC_INCONSISTENT);
        }
        let fids: Vec<u16> = data
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        let mut df = start;
        let last = fids.len() - 1;
        for (i, &fid) in fids.iter().enumerate() {
            let idx = self
                .child_by_fid(&df, fid, (i < last).then_some(true))
                .ok_or(SW_NOT_FOUND)?;
            let is_df = node_at(&self.mf, &df)
                .and_then(|n| n.children().get(idx))
                .is_some_and(Node::is_df);
            if is_df {
                df.push(idx);
            } else {
                return Ok((df, Some(idx)));
            }
        }
        Ok((df, None))
    }

    fn select_target(&self, apdu: &Apdu<'_>) -> Result<Target, u16> {
        let cur = self.cur_df.clone();
        let in_cur = |fid: u16, want_df: Option<bool>| -> Result<Target, u16> {
            let idx = self.child_by_fid(&cur, fid, want_df).ok_or(SW_NOT_FOUND)?;
            let child_is_df = self
                .current_df()
                .and_then(|d| d.children().get(idx))
                .is_some_and(Node::is_df);
            let mut df = cur.clone();
            if child_is_df {
                df.push(idx);
                Ok((df, None))
            } else {
                Ok((df, Some(idx)))
            }
        };
        match apdu.p1 {
            0x00 if apdu.data.is_empty() => Ok((Vec::new(), None)),
            0x00 => {
                let fid = Self::fid_arg(apdu.data)?;
                if fid == MF_FID {
                    Ok((Vec::new(), None))
                } else if let Ok(t) = in_cur(fid, None) {
                    Ok(t)
                } else if self.current_df().is_some_and(|d| d.fid() == fid) {
                    Ok((cur.clone(), None))
                } else {
                    Err(SW_NOT_FOUND)
                }
            }
            0x01 => in_cur(Self::fid_arg(apdu.data)?, Some(true)),
            0x02 => in_cur(Self::fid_arg(apdu.data)?, Some(false)),
            0x03 if apdu.data.is_empty() => {
                let mut parent = cur.clone();
                parent.pop().map(|_| (parent, None)).ok_or(SW_NOT_FOUND)
            }
            0x03 => Err(SW_LC_INCONSISTENT),
            0x04 => {
                if apdu.data.is_empty() || apdu.data.len() > MAX_DF_NAME {
                    return Err(SW_LC_INCONSISTENT);
                }
                let mut path = Vec::new();
                if find_df_by_name(&self.mf, apdu.data, &mut path) {
                    Ok((path, None))
                } else {
                    Err(SW_NOT_FOUND)
                }
            }
            0x08 => {
                let data = match apdu.data {
                    [0x3F, 0x00, rest @ ..] if !rest.is_empty() => rest,
                    d => d,
                };
                self.walk_path(Vec::new(), data)
            }
            0x09 => self.walk_path(cur.clone(), apdu.data),
            _ => Err(SW_WRONG_P1P2),
        }
    }

    fn select(&mut self, apdu: &Apdu<'_>) -> Vec<u8> {
        // Only "first or only occurrence"; P2 bits 4-3 choose FCI (00), FCP (04) or nothing (0C).
        if apdu.p2 & 0xF3 != 0 {
            return sw(SW_WRONG_P1P2);
        }
        let with_fcp = match apdu.p2 & 0x0C {
            0x00 | 0x04 => true,
            0x0C => false,
            _ => return sw(SW_WRONG_P1P2),
        };
        let (df, ef) = match self.select_target(apdu) {
            Ok(t) => t,
            Err(status) => return sw(status),
        };
        let Some(df_node) = node_at(&self.mf, &df) else {
            return sw(SW_NOT_FOUND);
        };
        let selected = match ef {
            Some(i) => df_node.children().get(i),
            None => Some(df_node),
        };
        let Some(selected) = selected else {
            return sw(SW_NOT_FOUND);
        };
        let answer = if with_fcp {
            data_sw(&fcp(selected), SW_OK)
        } else {
            sw(SW_OK)
        };
        self.cur_df = df;
        self.cur_ef = ef;
        answer
    }

    fn create_file(&mut self, apdu: &Apdu<'_>) -> Vec<u8> {
        if self.storage_only {
            return sw(SW_INS_NOT_SUPPORTED);
        }
        if (apdu.p1, apdu.p2) != (0, 0) {
            return sw(SW_WRONG_P1P2);
        }
        let node = match parse_create_fcp(apdu.data) {
            Ok(node) => node,
            Err(status) => return sw(status),
        };
        let Some(cur) = self.current_df() else {
            return sw(SW_NOT_FOUND);
        };
        let clash = node.fid() == cur.fid()
            || cur
                .children()
                .iter()
                .any(|c| c.fid() == node.fid() || (node.sfi().is_some() && c.sfi() == node.sfi()))
            || node.name().is_some_and(|n| self.mf.has_df_name(n));
        if clash {
            return sw(SW_EXISTS);
        }
        let (files, bytes) = self.mf.usage();
        let new_bytes = match &node {
            Node::Ef { data, .. } => data.len(),
            Node::Df { .. } => 0,
        };
        if files >= MAX_FILES || bytes + new_bytes > MEMORY_LIMIT {
            return sw(SW_NO_MEMORY);
        }
        let is_df = node.is_df();
        let Some(Node::Df { children, .. }) = node_at_mut(&mut self.mf, &self.cur_df) else {
            return sw(SW_NOT_FOUND);
        };
        children.push(node);
        let idx = children.len() - 1;
        if is_df {
            self.cur_df.push(idx);
            self.cur_ef = None;
        } else {
            self.cur_ef = Some(idx);
        }
        sw(SW_OK)
    }

    /// Finds the EF a READ/UPDATE BINARY addresses (selecting it when addressed by SFI) and the offset.
    fn binary_target(&mut self, p1: u8, p2: u8) -> Result<(usize, usize), u16> {
        if p1 & 0x80 != 0 {
            let sfi = p1 & 0x1F;
            if p1 & 0x60 != 0 || sfi == 0 || sfi == 0x1F {
                return Err(SW_WRONG_P1P2);
            }
            let idx = self
                .current_df()
                .and_then(|d| d.children().iter().position(|c| c.sfi() == Some(sfi)))
                .ok_or(SW_NOT_FOUND)?;
            self.cur_ef = Some(idx);
            Ok((idx, usize::from(p2)))
        } else {
            let idx = self.cur_ef.ok_or(SW_NO_CURRENT_EF)?;
            Ok((idx, usize::from(u16::from_be_bytes([p1, p2]))))
        }
    }

    fn ef_data_mut(&mut self, idx: usize) -> Option<&mut Vec<u8>> {
        match node_at_mut(&mut self.mf, &self.cur_df)? {
            Node::Df { children, .. } => match children.get_mut(idx)? {
                Node::Ef { data, .. } => Some(data),
                Node::Df { .. } => None,
            },
            Node::Ef { .. } => None,
        }
    }

    fn read_binary(&mut self, apdu: &Apdu<'_>) -> Vec<u8> {
        let (false, Some(le)) = (!apdu.data.is_empty(), apdu.le) else {
            return sw(SW_WRONG_LENGTH);
        };
        let (idx, offset) = match self.binary_target(apdu.p1, apdu.p2) {
            Ok(t) => t,
            Err(status) => return sw(status),
        };
        let Some(data) = self.ef_data_mut(idx) else {
            return sw(SW_NO_CURRENT_EF);
        };
        if offset >= data.len() {
            return sw(SW_WRONG_OFFSET);
        }
        let end = data.len().min(offset + le);
        let status = if end - offset < le {
            SW_END_OF_FILE
        } else {
            SW_OK
        };
        data_sw(&data[offset..end], status)
    }

    /// UPDATE BINARY; `torn` writes only that many leading bytes and answers nothing useful (the card is pulled).
    fn update_binary_inner(&mut self, apdu: &Apdu<'_>, torn: Option<usize>) -> Vec<u8> {
        if apdu.data.is_empty() {
            return sw(SW_WRONG_LENGTH);
        }
        let (idx, offset) = match self.binary_target(apdu.p1, apdu.p2) {
            Ok(t) => t,
            Err(status) => return sw(status),
        };
        let Some(data) = self.ef_data_mut(idx) else {
            return sw(SW_NO_CURRENT_EF);
        };
        if offset >= data.len() {
            return sw(SW_WRONG_OFFSET);
        }
        match torn {
            Some(n) => {
                let n = n.min(apdu.data.len()).min(data.len() - offset);
                data[offset..offset + n].copy_from_slice(&apdu.data[..n]);
                sw(SW_OK)
            }
            None if offset + apdu.data.len() > data.len() => sw(SW_WRONG_LENGTH),
            None => {
                data[offset..offset + apdu.data.len()].copy_from_slice(apdu.data);
                sw(SW_OK)
            }
        }
    }

    fn update_binary(&mut self, apdu: &Apdu<'_>) -> Vec<u8> {
        // A trailing Le (case 4) is accepted and ignored.
        self.update_binary_inner(apdu, None)
    }

    /// Handles one APDU from the reader, applying the faults.
    fn handle(&mut self, bytes: &[u8], session: &mut Session) -> Outcome {
        if let Some(garbage) = &self.faults.garbage {
            let answer = garbage.clone();
            self.apdu_count += 1;
            return Outcome::Answer(answer);
        }
        let Some(apdu) = parse_apdu(bytes) else {
            self.apdu_count += 1;
            return Outcome::Answer(sw(SW_WRONG_LENGTH));
        };
        if (apdu.cla, apdu.ins) == (0x00, 0xD6) {
            session.updates = session.updates.saturating_add(1);
            if let Some((n, torn)) = self.faults.remove_on_update {
                if n == session.updates {
                    self.faults.remove_on_update = None;
                    if torn > 0 {
                        self.update_binary_inner(&apdu, Some(torn));
                    }
                    tracing::debug!(update = n, torn, "virtual card pulled during UPDATE BINARY");
                    return Outcome::Pull;
                }
            }
        }
        let answer = self.execute(&apdu);
        self.apdu_count += 1;
        if (apdu.cla, apdu.ins) == (0x00, 0xB0) {
            session.reads = session.reads.saturating_add(1);
            if self.faults.remove_after_read == Some(session.reads) {
                self.faults.remove_after_read = None;
                tracing::debug!(
                    read = session.reads,
                    "virtual card pulled after READ BINARY"
                );
                return Outcome::AnswerThenPull(answer);
            }
        }
        Outcome::Answer(answer)
    }

    fn image(&self) -> Image {
        Image {
            format: IMAGE_FORMAT.to_string(),
            atr: self.atr.clone(),
            uid: self.uid.clone(),
            storage_only: self.storage_only,
            mf: self.mf.children().to_vec(),
        }
    }
}

/// Parses the FCP template of CREATE FILE into a new file (an EF filled with zeros).
fn parse_create_fcp(data: &[u8]) -> Result<Node, u16> {
    let bad = SW_BAD_DATA;
    let [0x62, rest @ ..] = data else {
        return Err(bad);
    };
    let (len, used) = ber_len(rest).ok_or(bad)?;
    let inner = rest.get(used..).filter(|i| i.len() == len).ok_or(bad)?;
    let tlvs = parse_tlvs(inner).ok_or(bad)?;
    let tag = |t: u8| tlvs.iter().find(|(tag, _)| *tag == t).map(|(_, v)| *v);
    let descriptor = *tag(0x82).and_then(|v| v.first()).ok_or(bad)?;
    let fid = match tag(0x83) {
        Some([hi, lo]) => u16::from_be_bytes([*hi, *lo]),
        _ => return Err(bad),
    };
    if reserved_fid(fid) {
        return Err(bad);
    }
    match descriptor {
        0x38 => {
            let name = match tag(0x84) {
                None => None,
                Some(n) if (1..=MAX_DF_NAME).contains(&n.len()) => Some(n.to_vec()),
                Some(_) => return Err(bad),
            };
            Ok(Node::Df {
                fid,
                name,
                children: Vec::new(),
            })
        }
        0x01 => {
            let size = match tag(0x80) {
                Some([n]) => usize::from(*n),
                Some([hi, lo]) => usize::from(u16::from_be_bytes([*hi, *lo])),
                _ => return Err(bad),
            };
            if size > MEMORY_LIMIT {
                return Err(SW_NO_MEMORY);
            }
            let sfi = match tag(0x88) {
                None | Some([]) => None,
                Some([v]) if v & 0x07 == 0 && (1..=30).contains(&(v >> 3)) => Some(v >> 3),
                Some(_) => return Err(bad),
            };
            Ok(Node::Ef {
                fid,
                sfi,
                data: vec![0; size],
            })
        }
        _ => Err(bad),
    }
}

/// The saved form of a card (`save` / `load`).
#[derive(Serialize, Deserialize)]
struct Image {
    format: String,
    #[serde(with = "hex_bytes")]
    atr: Vec<u8>,
    #[serde(with = "hex_opt", default, skip_serializing_if = "Option::is_none")]
    uid: Option<Vec<u8>>,
    #[serde(default)]
    storage_only: bool,
    mf: Vec<Node>,
}

/// Checks a loaded file tree: the same rules CREATE FILE enforces.
fn valid_tree(df: &Node, depth: usize) -> bool {
    if depth > MAX_FILES {
        return false;
    }
    let children = df.children();
    for (i, child) in children.iter().enumerate() {
        let later = &children[i + 1..];
        if reserved_fid(child.fid())
            || child.fid() == df.fid()
            || later.iter().any(|c| c.fid() == child.fid())
        {
            return false;
        }
        match child {
            Node::Ef { sfi: Some(s), .. }
                if !(1..=30).contains(s) || later.iter().any(|c| c.sfi() == Some(*s)) =>
            {
                return false
            }
            Node::Df { name: Some(n), .. } if n.is_empty() || n.len() > MAX_DF_NAME => {
                return false
            }
            Node::Df { .. } if !valid_tree(child, depth + 1) => return false,
            _ => {}
        }
    }
    true
}

fn all_names_unique(node: &Node, seen: &mut Vec<Vec<u8>>) -> bool {
    if let Some(name) = node.name() {
        if seen.iter().any(|s| s == name) {
            return false;
        }
        seen.push(name.to_vec());
    }
    node.children().iter().all(|c| all_names_unique(c, seen))
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

mod hex_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&hex::encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| hex::decode(t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

impl VirtualCard {
    fn from_state(state: CardState) -> VirtualCard {
        VirtualCard {
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// The card state; a poisoned lock (a panic elsewhere) still gives the state.
    fn lock(&self) -> MutexGuard<'_, CardState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A blank processor card: an empty MF, no UID, ATR [`CONTACT_ATR`].
    pub fn blank() -> VirtualCard {
        VirtualCard::from_state(CardState::new(&CONTACT_ATR, None, false, Vec::new()))
    }

    /// A contactless storage card (MIFARE-like) seen through a PC/SC contactless reader: answers `FF CA`
    /// with `uid` (real UIDs are 4, 7 or 10 bytes), ATR [`CONTACTLESS_ATR`]. It has no application: SELECT
    /// finds nothing and CREATE FILE is not supported (`6D 00`).
    pub fn contactless(uid: &[u8]) -> VirtualCard {
        VirtualCard::from_state(CardState::new(
            &CONTACTLESS_ATR,
            Some(uid.to_vec()),
            true,
            Vec::new(),
        ))
    }

    /// The card's ATR.
    pub fn atr(&self) -> Vec<u8> {
        self.lock().atr.clone()
    }

    /// Replaces the faults; they take effect from the next message the card receives.
    pub fn set_faults(&self, faults: Faults) {
        let mut st = self.lock();
        st.faults = faults;
        st.direct = Session::default();
    }

    /// The content of the first EF (depth first from the MF) with short EF id `sfi`.
    pub fn ef_bytes(&self, sfi: u8) -> Option<Vec<u8>> {
        ef_by_sfi_mut(&mut self.lock().mf, sfi).map(|d| d.clone())
    }

    /// Replaces the whole content of that EF with `bytes` (its size becomes `bytes.len()`). `false` when there
    /// is no such EF or the card's memory can't hold it.
    pub fn set_ef_bytes(&self, sfi: u8, bytes: &[u8]) -> bool {
        let mut st = self.lock();
        let (_, used) = st.mf.usage();
        let Some(data) = ef_by_sfi_mut(&mut st.mf, sfi) else {
            return false;
        };
        if used - data.len() + bytes.len() > MEMORY_LIMIT {
            return false;
        }
        *data = bytes.to_vec();
        true
    }

    /// APDUs answered since the card was made (through any reader, and [`VirtualCard::respond`]).
    pub fn apdu_count(&self) -> u64 {
        self.lock().apdu_count
    }

    /// Answers one command APDU directly, without a reader (the in-memory reader uses this). Faults apply as
    /// on a socket, counted since the card was made or its faults were last set: a delay sleeps, garbage is
    /// returned, the removal on UPDATE writes its torn prefix and returns an empty response (the card left),
    /// the removal after READ answers normally.
    pub fn respond(&self, apdu: &[u8]) -> Vec<u8> {
        let delay = self.lock().faults.delay;
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let mut st = self.lock();
        let mut session = std::mem::take(&mut st.direct);
        let outcome = st.handle(apdu, &mut session);
        st.direct = session;
        match outcome {
            Outcome::Answer(answer) | Outcome::AnswerThenPull(answer) => answer,
            Outcome::Pull => Vec::new(),
        }
    }

    /// Inserts the card into the vpcd reader listening on `addr` (e.g. "127.0.0.1:40016"): connects and serves
    /// on a background thread until removed, the socket closes, or a fault pulls it. A card can sit in one
    /// reader at a time (`AlreadyExists` otherwise). The selection is reset and the removal faults count
    /// from this insertion.
    pub fn insert(&self, addr: &str) -> io::Result<InsertedCard> {
        let already = || {
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the virtual card is already inserted",
            )
        };
        if self.lock().inserted {
            return Err(already());
        }
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(POLL))?;
        stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
        let socket = stream.try_clone()?;
        {
            let mut st = self.lock();
            if st.inserted {
                return Err(already());
            }
            st.inserted = true;
            st.reset_selection();
        }
        let stop = Arc::new(AtomicBool::new(false));
        let alive = Arc::new(AtomicBool::new(true));
        let server = Server {
            card: self.clone(),
            stream,
            stop: stop.clone(),
            alive: alive.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name("virtual-card".to_string())
            .spawn(move || server.run());
        match spawned {
            Ok(thread) => {
                tracing::debug!(addr, "virtual card inserted");
                Ok(InsertedCard {
                    socket,
                    stop,
                    alive,
                    thread: Some(thread),
                })
            }
            Err(e) => {
                // The server (moved into the failed spawn) was dropped, which cleared `inserted`.
                let _ = socket.shutdown(Shutdown::Both);
                Err(e)
            }
        }
    }

    /// The card as bytes (JSON): files, ATR and UID — not the faults, counters or selection.
    pub fn save(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&self.lock().image()).unwrap_or_default()
    }

    /// A card from [`VirtualCard::save`]'s bytes; `None` if they are not a valid card image.
    pub fn load(bytes: &[u8]) -> Option<VirtualCard> {
        let image: Image = serde_json::from_slice(bytes).ok()?;
        if image.format != IMAGE_FORMAT || !(2..=33).contains(&image.atr.len()) {
            return None;
        }
        if image.uid.as_ref().is_some_and(|u| u.len() > 16) {
            return None;
        }
        let state = CardState::new(&image.atr, image.uid, image.storage_only, image.mf);
        let (files, bytes) = state.mf.usage();
        let ok = files <= MAX_FILES
            && bytes <= MEMORY_LIMIT
            && valid_tree(&state.mf, 0)
            && all_names_unique(&state.mf, &mut Vec::new());
        ok.then(|| VirtualCard::from_state(state))
    }
}

impl InsertedCard {
    /// Removes the card: closes the socket and waits for the serving thread.
    pub fn remove(mut self) {
        self.shut();
    }

    /// `false` once the card left the reader: removed, pulled by a fault, or the reader closed the socket.
    pub fn is_inserted(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    fn shut(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.socket.shutdown(Shutdown::Both);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for InsertedCard {
    fn drop(&mut self) {
        self.shut();
    }
}

/// The serving side of an inserted card. Dropping it (the thread ending, even by a panic) marks the card
/// removed and closes the socket.
struct Server {
    card: VirtualCard,
    stream: TcpStream,
    stop: Arc<AtomicBool>,
    alive: Arc<AtomicBool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Mark the card out before closing, so whoever sees the close can re-insert at once.
        self.card.lock().inserted = false;
        self.alive.store(false, Ordering::SeqCst);
        let _ = self.stream.shutdown(Shutdown::Both);
        tracing::debug!("virtual card removed");
    }
}

impl Server {
    fn run(mut self) {
        let mut buf = Vec::new();
        let mut session = Session::default();
        loop {
            let frame = match self.next_frame(&mut buf) {
                Ok(Some(frame)) => frame,
                Ok(None) => return,
                Err(e) => {
                    tracing::debug!(error = %e, "virtual card: reader connection failed");
                    return;
                }
            };
            if let [control] = frame[..] {
                if !self.control(control) {
                    return;
                }
                continue;
            }
            let delay = self.card.lock().faults.delay;
            if !delay.is_zero() && !self.sleep(delay) {
                return;
            }
            let outcome = self.card.lock().handle(&frame, &mut session);
            match outcome {
                Outcome::Answer(answer) => {
                    if self.send(&answer).is_err() {
                        return;
                    }
                }
                Outcome::AnswerThenPull(answer) => {
                    let _ = self.send(&answer);
                    return;
                }
                Outcome::Pull => return,
            }
        }
    }

    /// A control message; `false` when the card must leave (the ATR could not be sent).
    fn control(&mut self, byte: u8) -> bool {
        match byte {
            0x00..=0x02 => {
                // Power off, power on and reset all lose the volatile selection.
                self.card.lock().reset_selection();
                true
            }
            0x04 => {
                let atr = self.card.lock().atr.clone();
                self.send(&atr).is_ok()
            }
            other => {
                tracing::debug!(
                    control = other,
                    "virtual card: unknown vpcd control message ignored"
                );
                true
            }
        }
    }

    /// Sleeps `delay` unless asked to stop; `false` when stopped.
    fn sleep(&self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return false;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(POLL));
        }
    }

    /// The next framed payload; `None` when the reader closed the socket or the card is being removed.
    fn next_frame(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Vec<u8>>> {
        let mut chunk = [0u8; 4096];
        loop {
            if let [hi, lo, rest @ ..] = &buf[..] {
                let len = usize::from(u16::from_be_bytes([*hi, *lo]));
                if let Some(payload) = rest.get(..len) {
                    let frame = payload.to_vec();
                    buf.drain(..2 + len);
                    return Ok(Some(frame));
                }
            }
            if self.stop.load(Ordering::SeqCst) {
                return Ok(None);
            }
            quick_ack(&self.stream);
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(None),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn send(&mut self, payload: &[u8]) -> io::Result<()> {
        let payload = &payload[..payload.len().min(usize::from(u16::MAX))];
        let mut frame = Vec::with_capacity(payload.len() + 2);
        frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        frame.extend_from_slice(payload);
        self.stream.write_all(&frame)?;
        self.stream.flush()
    }
}

/// Asks the kernel to acknowledge what arrives next at once. vpcd sends a frame's length and
/// payload in two writes with Nagle on, so the payload waits for our ACK of the length; a
/// delayed ACK (40 ms) would make every APDU take 40 ms. Linux resets the flag after each
/// ACK, hence before every read.
fn quick_ack(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: setsockopt on a socket we own, with a correctly sized int option.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            std::ptr::addr_of!(on).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}
