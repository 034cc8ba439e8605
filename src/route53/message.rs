//! DNS messages on the wire, built and read with hickory-proto (a well-kept DNS
//! library: the encoding is not written here).

use super::resolver::{Rcode, Resolution};
use super::zones::RecordData;
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// A standard recursive query for `name` (A, or AAAA when `v6`), as a stub
/// resolver sends it. `Err` when `name` is not a valid DNS name.
pub fn query(id: u16, name: &str, v6: bool) -> Result<Vec<u8>, String> {
    let mut m = Message::new();
    m.set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true)
        .add_query(Query::query(fqdn(name)?, qtype(v6)));
    m.to_vec().map_err(|e| e.to_string())
}

/// The resolver's response to that query: the answers of `res`, its rcode.
/// (`Rcode::NoResponse` has no message; callers do not ask for one.)
pub fn response(id: u16, name: &str, v6: bool, res: &Resolution) -> Result<Vec<u8>, String> {
    let mut m = response_header(id, name, v6, res)?;
    for a in &res.answers {
        let rdata = match &a.data {
            RecordData::A(v4) => RData::A(A(*v4)),
            RecordData::Aaaa(v6) => RData::AAAA(AAAA(*v6)),
            RecordData::Cname(t) => RData::CNAME(CNAME(fqdn(t)?)),
        };
        m.add_answer(Record::from_rdata(fqdn(&a.name)?, a.ttl, rdata));
    }
    m.to_vec().map_err(|e| e.to_string())
}

/// The response over UDP when the full one does not fit: the header with TC
/// set and the question, no records (the stub asks again over TCP).
pub fn truncated(id: u16, name: &str, v6: bool, res: &Resolution) -> Result<Vec<u8>, String> {
    let mut m = response_header(id, name, v6, res)?;
    m.set_truncated(true);
    m.to_vec().map_err(|e| e.to_string())
}

/// A response's header and question, without records.
fn response_header(id: u16, name: &str, v6: bool, res: &Resolution) -> Result<Message, String> {
    let mut m = Message::new();
    m.set_id(id)
        .set_message_type(MessageType::Response)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true)
        .set_recursion_available(true)
        .set_response_code(match res.rcode {
            Rcode::NxDomain => ResponseCode::NXDomain,
            Rcode::ServFail => ResponseCode::ServFail,
            Rcode::NoError | Rcode::NoResponse => ResponseCode::NoError,
        })
        .add_query(Query::query(fqdn(name)?, qtype(v6)));
    Ok(m)
}

/// Decode a message (tests, `trace`).
pub fn decode(bytes: &[u8]) -> Result<Message, String> {
    Message::from_vec(bytes).map_err(|e| e.to_string())
}

/// Whether `name` is a valid DNS name (labels of 1-63 letters, digits and
/// hyphens, at most 253 characters): the topology check uses it.
pub fn valid_name(name: &str) -> Result<(), String> {
    let n = name.trim_end_matches('.');
    if n.is_empty() || n.len() > 253 {
        return Err("a DNS name has 1 to 253 characters".into());
    }
    for label in n.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "label \"{label}\": each label has 1 to 63 characters"
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "label \"{label}\": only letters, digits, '-' and '_' are allowed"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label \"{label}\" may not start or end with '-'"));
        }
    }
    fqdn(n).map(|_| ())
}

fn fqdn(name: &str) -> Result<Name, String> {
    let mut n = Name::from_ascii(name).map_err(|e| format!("{name:?}: {e}"))?;
    n.set_fqdn(true);
    Ok(n)
}

fn qtype(v6: bool) -> RecordType {
    if v6 {
        RecordType::AAAA
    } else {
        RecordType::A
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route53::resolver::Answer;
    use std::net::Ipv4Addr;

    #[test]
    fn query_and_response_round_trip() {
        let q = decode(&query(0x1234, "db.internal.example", false).unwrap()).unwrap();
        assert_eq!(q.id(), 0x1234);
        assert_eq!(q.message_type(), MessageType::Query);
        assert_eq!(q.queries()[0].name().to_ascii(), "db.internal.example.");
        let res = Resolution {
            rcode: Rcode::NoError,
            answers: vec![
                Answer {
                    name: "db.internal.example".into(),
                    ttl: 300,
                    data: RecordData::Cname("db1.internal.example".into()),
                },
                Answer {
                    name: "db1.internal.example".into(),
                    ttl: 300,
                    data: RecordData::A(Ipv4Addr::new(10, 1, 1, 20)),
                },
            ],
            steps: vec![],
        };
        let r = decode(&response(0x1234, "db.internal.example", false, &res).unwrap()).unwrap();
        assert_eq!(r.message_type(), MessageType::Response);
        assert_eq!(r.response_code(), ResponseCode::NoError);
        assert_eq!(r.answers().len(), 2);
        assert_eq!(
            r.answers()[1].data(),
            &RData::A(A(Ipv4Addr::new(10, 1, 1, 20)))
        );
        let nx = Resolution {
            rcode: Rcode::NxDomain,
            answers: vec![],
            steps: vec![],
        };
        let r = decode(&response(7, "nope.example", true, &nx).unwrap()).unwrap();
        assert_eq!(r.response_code(), ResponseCode::NXDomain);
    }

    #[test]
    fn names_are_checked() {
        assert!(valid_name("db.internal.example").is_ok());
        assert!(valid_name("db..example").is_err());
        assert!(valid_name("-db.example").is_err());
        assert!(valid_name("db space.example").is_err());
        assert!(valid_name(&"a".repeat(64)).is_err());
    }
}
