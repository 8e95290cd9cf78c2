//! ISO 7816-4 command and response APDUs, and the few commands the kiosk sends.

/// The kiosk application's AID (proprietary, `F0` + "MEMBER").
pub const KIOSK_AID: [u8; 7] = [0xF0, 0x4D, 0x45, 0x4D, 0x42, 0x45, 0x52];
/// File id of the kiosk's DF and of the record EF inside it.
pub const KIOSK_DF_FID: u16 = 0x4D4B;
pub const RECORD_EF_FID: u16 = 0x0001;
/// Short EF identifier of the record EF (READ/UPDATE BINARY address it directly).
pub const RECORD_EF_SFI: u8 = 1;

pub const SW_OK: u16 = 0x9000;
/// "End of file reached before Le bytes": some card OSes answer an UPDATE BINARY sent with a
/// trailing Le this way while writing the data.
pub const SW_EOF_WARNING: u16 = 0x6282;
pub const SW_FILE_NOT_FOUND: u16 = 0x6A82;

/// A command APDU (short lengths only: the record is 128 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    /// Expected response length; `Some(0)` means 256.
    pub le: Option<u8>,
}

impl Command {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(6 + self.data.len());
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if !self.data.is_empty() {
            // Data longer than 255 bytes never occurs here (see the builders).
            out.push(self.data.len().min(255) as u8);
            out.extend_from_slice(&self.data[..self.data.len().min(255)]);
        }
        if let Some(le) = self.le {
            out.push(le);
        }
        out
    }
}

/// A response APDU: data and the status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: u16,
}

impl Response {
    /// `None` when shorter than the 2 status bytes: with PC/SC that means the card was pulled
    /// during the exchange.
    pub fn parse(bytes: &[u8]) -> Option<Response> {
        let split = bytes.len().checked_sub(2)?;
        let (data, sw) = bytes.split_at(split);
        Some(Response {
            data: data.to_vec(),
            sw: u16::from_be_bytes([sw[0], sw[1]]),
        })
    }
}

/// SELECT the kiosk application by DF name, no response data.
pub fn select_kiosk_app() -> Command {
    Command {
        cla: 0x00,
        ins: 0xA4,
        p1: 0x04,
        p2: 0x0C,
        data: KIOSK_AID.to_vec(),
        le: None,
    }
}

/// READ BINARY of `len` bytes at `offset` of the record EF (by short EF id).
pub fn read_record(offset: u8, len: u8) -> Command {
    Command {
        cla: 0x00,
        ins: 0xB0,
        p1: 0x80 | RECORD_EF_SFI,
        p2: offset,
        data: Vec::new(),
        le: Some(len),
    }
}

/// UPDATE BINARY of `data` at `offset` of the record EF. `with_le` adds a trailing Le byte
/// for card OSes that need the command as case 4 (vicc crashes on case 3).
pub fn update_record(offset: u8, data: &[u8], with_le: bool) -> Command {
    Command {
        cla: 0x00,
        ins: 0xD6,
        p1: 0x80 | RECORD_EF_SFI,
        p2: offset,
        data: data.to_vec(),
        le: with_le.then_some(0),
    }
}

/// CREATE FILE for the kiosk DF (named by the AID) in the MF; it becomes the current DF.
pub fn create_kiosk_df() -> Command {
    let [hi, lo] = KIOSK_DF_FID.to_be_bytes();
    let mut fcp = vec![
        0x82,
        0x01,
        0x38,
        0x83,
        0x02,
        hi,
        lo,
        0x84,
        KIOSK_AID.len() as u8,
    ];
    fcp.extend_from_slice(&KIOSK_AID);
    Command {
        cla: 0x00,
        ins: 0xE0,
        p1: 0x00,
        p2: 0x00,
        data: fcp_template(&fcp),
        le: None,
    }
}

/// CREATE FILE for the transparent record EF of `size` bytes in the current DF.
pub fn create_record_ef(size: u16) -> Command {
    let [fid_hi, fid_lo] = RECORD_EF_FID.to_be_bytes();
    let [size_hi, size_lo] = size.to_be_bytes();
    let fcp = [
        0x82,
        0x01,
        0x01,
        0x83,
        0x02,
        fid_hi,
        fid_lo,
        0x88,
        0x01,
        RECORD_EF_SFI << 3,
        0x80,
        0x02,
        size_hi,
        size_lo,
    ];
    Command {
        cla: 0x00,
        ins: 0xE0,
        p1: 0x00,
        p2: 0x00,
        data: fcp_template(&fcp),
        le: None,
    }
}

/// The PC/SC pseudo-APDU a contactless reader answers with the card's UID.
pub fn get_uid() -> Command {
    Command {
        cla: 0xFF,
        ins: 0xCA,
        p1: 0x00,
        p2: 0x00,
        data: Vec::new(),
        le: Some(0),
    }
}

fn fcp_template(inner: &[u8]) -> Vec<u8> {
    let mut out = vec![0x62, inner.len() as u8];
    out.extend_from_slice(inner);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_case_2_3_4() {
        assert_eq!(
            read_record(64, 64).to_bytes(),
            vec![0x00, 0xB0, 0x81, 0x40, 0x40]
        );
        assert_eq!(
            update_record(0, &[1, 2], false).to_bytes(),
            vec![0x00, 0xD6, 0x81, 0x00, 0x02, 1, 2]
        );
        assert_eq!(
            update_record(0, &[1, 2], true).to_bytes(),
            vec![0x00, 0xD6, 0x81, 0x00, 0x02, 1, 2, 0x00]
        );
        assert_eq!(
            select_kiosk_app().to_bytes()[..5],
            [0x00, 0xA4, 0x04, 0x0C, 0x07]
        );
        assert_eq!(get_uid().to_bytes(), vec![0xFF, 0xCA, 0x00, 0x00, 0x00]);
    }

    #[test]
    fn a_response_shorter_than_two_bytes_means_the_card_left() {
        assert_eq!(Response::parse(&[]), None);
        assert_eq!(Response::parse(&[0x90]), None);
        assert_eq!(
            Response::parse(&[0xAB, 0x90, 0x00]),
            Some(Response {
                data: vec![0xAB],
                sw: 0x9000
            })
        );
    }

    #[test]
    fn fcp_templates_are_well_formed() {
        let df = create_kiosk_df().data;
        assert_eq!((df[0], usize::from(df[1])), (0x62, df.len() - 2));
        let ef = create_record_ef(128).data;
        assert_eq!(&ef[ef.len() - 4..], &[0x80, 0x02, 0x00, 0x80]);
    }
}
