//! The records the responder owns and the packets built from them (RFC 6762, RFC 6763):
//! answers to queries, probes, announcements, and the checks for someone else claiming our
//! names. No I/O here: everything is bytes in, bytes out, so it is unit-tested.

use simple_dns::rdata::{RData, A, AAAA, PTR, SRV, TXT};
use simple_dns::{Name, Packet, PacketFlag, Question, ResourceRecord, CLASS, QCLASS, QTYPE, TYPE};
use std::net::{Ipv4Addr, Ipv6Addr};

/// RFC 6762 section 10: 120 s for records that name a host, 75 minutes for the others.
const HOST_TTL: u32 = 120;
const OTHER_TTL: u32 = 4500;
/// Legacy unicast answers (a resolver asking from a port other than 5353, e.g. `dig`)
/// must not be cached for long (RFC 6762 section 6.7).
const LEGACY_TTL: u32 = 10;
pub const SERVICE: &str = "_http._tcp.local";
const ENUMERATION: &str = "_services._dns-sd._udp.local";

/// Our names and the addresses of the interface a packet came in on.
#[derive(Debug, Clone)]
pub struct Context {
    /// "zerocam.local" (or "zerocam-2.local" after a conflict).
    pub host: String,
    /// "zerocam._http._tcp.local".
    pub instance: String,
    pub port: u16,
    pub txt: Vec<String>,
    pub v4: Ipv4Addr,
    pub v6: Vec<Ipv6Addr>,
}

impl Context {
    pub fn new(label: &str, port: u16, txt: &[String], v4: Ipv4Addr, v6: &[Ipv6Addr]) -> Context {
        Context {
            host: format!("{label}.local"),
            instance: format!("{label}.{SERVICE}"),
            port,
            txt: txt.to_vec(),
            v4,
            v6: v6.to_vec(),
        }
    }

    fn host_name(&self) -> Name<'_> {
        Name::new_unchecked(&self.host)
    }

    fn instance_name(&self) -> Name<'_> {
        Name::new_unchecked(&self.instance)
    }

    /// A and AAAA: unique records (cache-flush set, except in legacy answers).
    fn address_records(&self, ttl: u32, flush: bool) -> Vec<ResourceRecord<'_>> {
        let mut records =
            vec![record(self.host_name(), ttl, RData::A(A { address: u32::from(self.v4) }), flush)];
        for v6 in &self.v6 {
            records.push(record(
                self.host_name(),
                ttl,
                RData::AAAA(AAAA { address: u128::from(*v6) }),
                flush,
            ));
        }
        records
    }

    fn srv(&self, ttl: u32, flush: bool) -> ResourceRecord<'_> {
        let srv = SRV { priority: 0, weight: 0, port: self.port, target: self.host_name() };
        record(self.instance_name(), ttl, RData::SRV(srv), flush)
    }

    fn txt(&self, ttl: u32, flush: bool) -> ResourceRecord<'_> {
        let mut txt = TXT::new();
        for entry in &self.txt {
            // Entries are ours ("path=/"), short and ASCII: they always fit.
            let _ = txt.add_string(entry);
        }
        record(self.instance_name(), ttl, RData::TXT(txt), flush)
    }

    fn ptr(&self, ttl: u32) -> ResourceRecord<'_> {
        record(Name::new_unchecked(SERVICE), ttl, RData::PTR(PTR(self.instance_name())), false)
    }

    fn enumeration(&self, ttl: u32) -> ResourceRecord<'_> {
        record(Name::new_unchecked(ENUMERATION), ttl, RData::PTR(PTR(Name::new_unchecked(SERVICE))), false)
    }
}

fn record<'a>(name: Name<'a>, ttl: u32, rdata: RData<'a>, flush: bool) -> ResourceRecord<'a> {
    ResourceRecord::new(name, CLASS::IN, ttl, rdata).with_cache_flush(flush)
}

/// How an answer is to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// To 224.0.0.251:5353 on the interface.
    Multicast,
    /// Straight back to the asker: it set the QU bit.
    Unicast,
    /// Straight back, as a plain DNS answer: the asker is not an mDNS responder (port !=
    /// 5353), e.g. `dig -p 5353 @224.0.0.251`.
    Legacy,
}

/// The answer to a query, or None when we own nothing it asks about. `from_mdns_port` is
/// whether it came from port 5353.
pub fn answer(query: &Packet, context: &Context, from_mdns_port: bool) -> Option<(Vec<u8>, Delivery)> {
    if query.has_flags(PacketFlag::RESPONSE) {
        return None;
    }
    let legacy = !from_mdns_port;
    let (host_ttl, other_ttl) = if legacy { (LEGACY_TTL, LEGACY_TTL) } else { (HOST_TTL, OTHER_TTL) };
    let flush = !legacy;
    let mut answers: Vec<ResourceRecord> = Vec::new();
    let mut additional: Vec<ResourceRecord> = Vec::new();
    let mut unicast = false;
    for question in &query.questions {
        let wants = |kind: TYPE| matches!(question.qtype, QTYPE::ANY) || question.qtype == QTYPE::TYPE(kind);
        let name = &question.qname;
        let before = answers.len();
        if *name == context.host_name() {
            if wants(TYPE::A) {
                answers.push(context.address_records(host_ttl, flush).swap_remove(0));
            }
            if wants(TYPE::AAAA) {
                answers.extend(context.address_records(host_ttl, flush).into_iter().skip(1));
            }
        } else if *name == context.instance_name() {
            if wants(TYPE::SRV) {
                answers.push(context.srv(host_ttl, flush));
            }
            if wants(TYPE::TXT) {
                answers.push(context.txt(other_ttl, flush));
            }
            additional.extend(context.address_records(host_ttl, flush));
        } else if *name == Name::new_unchecked(SERVICE) && wants(TYPE::PTR) {
            answers.push(context.ptr(other_ttl));
            additional.push(context.srv(host_ttl, flush));
            additional.push(context.txt(other_ttl, flush));
            additional.extend(context.address_records(host_ttl, flush));
        } else if *name == Name::new_unchecked(ENUMERATION) && wants(TYPE::PTR) {
            answers.push(context.enumeration(other_ttl));
        }
        unicast |= question.unicast_response && answers.len() > before;
    }
    // Known-answer suppression (RFC 6762 section 7.1): the asker already has these.
    answers.retain(|ours| {
        !query
            .answers
            .iter()
            .any(|known| known.name == ours.name && known.rdata == ours.rdata && known.ttl >= ours.ttl / 2)
    });
    if answers.is_empty() {
        return None;
    }
    additional.retain(|extra| {
        !answers.iter().any(|answer| answer.name == extra.name && answer.rdata == extra.rdata)
    });
    let mut reply = Packet::new_reply(if legacy { query.id() } else { 0 });
    reply.set_flags(PacketFlag::AUTHORITATIVE_ANSWER);
    if legacy {
        // A plain resolver matches the answer to its question.
        reply.questions = query
            .questions
            .iter()
            .map(|question| Question { unicast_response: false, ..question.clone() })
            .collect();
    }
    reply.answers = answers;
    reply.additional_records = additional;
    let delivery = match (legacy, unicast) {
        (true, _) => Delivery::Legacy,
        (false, true) => Delivery::Unicast,
        (false, false) => Delivery::Multicast,
    };
    reply.build_bytes_vec_compressed().ok().map(|bytes| (bytes, delivery))
}

/// A probe (RFC 6762 section 8.1): "is anyone using these names?", with the records we
/// intend to use in the authority section for simultaneous-probe tie-breaking.
pub fn probe(context: &Context) -> Vec<u8> {
    let mut packet = Packet::new_query(0);
    for name in [context.host_name(), context.instance_name()] {
        packet.questions.push(Question::new(name, QTYPE::ANY, QCLASS::CLASS(CLASS::IN), true));
    }
    packet.name_servers = context.address_records(HOST_TTL, false);
    packet.name_servers.push(context.srv(HOST_TTL, false));
    packet.build_bytes_vec_compressed().unwrap_or_default()
}

/// An announcement (RFC 6762 section 8.3): every record, unsolicited.
pub fn announcement(context: &Context) -> Vec<u8> {
    let mut packet = Packet::new_reply(0);
    packet.set_flags(PacketFlag::AUTHORITATIVE_ANSWER);
    packet.answers = context.address_records(HOST_TTL, true);
    packet.answers.push(context.srv(HOST_TTL, true));
    packet.answers.push(context.txt(OTHER_TTL, true));
    packet.answers.push(context.ptr(OTHER_TTL));
    packet.answers.push(context.enumeration(OTHER_TTL));
    packet.build_bytes_vec_compressed().unwrap_or_default()
}

/// True when a response from someone else holds one of our unique names with other data:
/// an address for our host name that is not ours, or our service instance pointing
/// elsewhere. (Our own records, reflected back, are not a conflict.)
pub fn conflicts(packet: &Packet, context: &Context) -> bool {
    if !packet.has_flags(PacketFlag::RESPONSE) {
        return false;
    }
    let ours = context.address_records(HOST_TTL, false);
    let srv = context.srv(HOST_TTL, false);
    packet.answers.iter().chain(&packet.additional_records).any(|theirs| {
        if theirs.name == context.host_name() {
            matches!(theirs.rdata, RData::A(_) | RData::AAAA(_))
                && !ours.iter().any(|mine| mine.rdata == theirs.rdata)
        } else if theirs.name == context.instance_name() {
            matches!(theirs.rdata, RData::SRV(_)) && theirs.rdata != srv.rdata
        } else {
            false
        }
    })
}

/// Simultaneous probing (RFC 6762 section 8.2): another host probes for our host name at
/// the same time. Its proposed address is compared with ours as unsigned bytes; the larger
/// wins. True when we lose and must wait a second and probe again.
pub fn loses_tiebreak(packet: &Packet, context: &Context) -> bool {
    if packet.has_flags(PacketFlag::RESPONSE)
        || !packet.questions.iter().any(|q| q.qname == context.host_name())
    {
        return false;
    }
    let ours = u32::from(context.v4);
    packet.name_servers.iter().any(|theirs| {
        theirs.name == context.host_name()
            && matches!(theirs.rdata, RData::A(A { address }) if address > ours)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        Context::new(
            "zerocam",
            8080,
            &["path=/".to_owned()],
            Ipv4Addr::new(10, 9, 0, 1),
            &["fe80::1".parse().expect("v6")],
        )
    }

    fn query(name: &str, kind: TYPE, qu: bool) -> Vec<u8> {
        let mut packet = Packet::new_query(0x4242);
        packet.questions.push(Question::new(
            Name::new_unchecked(name),
            QTYPE::TYPE(kind),
            QCLASS::CLASS(CLASS::IN),
            qu,
        ));
        packet.build_bytes_vec().expect("query")
    }

    fn answer_to(bytes: &[u8], from_mdns_port: bool) -> Option<(Vec<u8>, Delivery)> {
        answer(&Packet::parse(bytes).expect("parse"), &context(), from_mdns_port)
    }

    #[test]
    fn answers_the_host_name_case_insensitively() {
        let (bytes, delivery) = answer_to(&query("ZeroCam.local", TYPE::A, false), true).expect("an answer");
        assert_eq!(delivery, Delivery::Multicast);
        let reply = Packet::parse(&bytes).expect("parse");
        assert!(reply.has_flags(PacketFlag::RESPONSE | PacketFlag::AUTHORITATIVE_ANSWER));
        assert_eq!(reply.id(), 0);
        assert_eq!(reply.answers.len(), 1);
        assert_eq!(reply.answers[0].rdata, RData::A(A { address: u32::from(Ipv4Addr::new(10, 9, 0, 1)) }));
        assert!(reply.answers[0].cache_flush);
        let (bytes, _) = answer_to(&query("zerocam.local", TYPE::AAAA, false), true).expect("AAAA");
        assert!(matches!(Packet::parse(&bytes).expect("parse").answers[0].rdata, RData::AAAA(_)));
        assert!(answer_to(&query("other.local", TYPE::A, false), true).is_none(), "not ours");
    }

    #[test]
    fn legacy_and_qu_queries_are_answered_straight_back() {
        let (bytes, delivery) = answer_to(&query("zerocam.local", TYPE::A, false), false).expect("an answer");
        assert_eq!(delivery, Delivery::Legacy);
        let reply = Packet::parse(&bytes).expect("parse");
        assert_eq!(reply.id(), 0x4242, "a plain resolver matches by id");
        assert_eq!(reply.questions.len(), 1, "and by question");
        assert!(reply.answers[0].ttl <= 10 && !reply.answers[0].cache_flush);
        let (_, delivery) = answer_to(&query("zerocam.local", TYPE::A, true), true).expect("an answer");
        assert_eq!(delivery, Delivery::Unicast);
    }

    #[test]
    fn browsing_finds_the_web_page() {
        let (bytes, _) = answer_to(&query(SERVICE, TYPE::PTR, false), true).expect("an answer");
        let reply = Packet::parse(&bytes).expect("parse");
        assert_eq!(reply.answers[0].rdata, RData::PTR(PTR(Name::new_unchecked("zerocam._http._tcp.local"))));
        let srv = reply.additional_records.iter().find_map(|r| match &r.rdata {
            RData::SRV(srv) => Some((srv.port, srv.target.to_string())),
            _ => None,
        });
        assert_eq!(srv, Some((8080, "zerocam.local".to_owned())));
        assert!(reply.additional_records.iter().any(|r| matches!(r.rdata, RData::TXT(_))));
        assert!(reply.additional_records.iter().any(|r| matches!(r.rdata, RData::A(_))));
        assert!(answer_to(&query(ENUMERATION, TYPE::PTR, false), true).is_some());
    }

    #[test]
    fn known_answers_are_not_repeated() {
        let ours = context();
        let mut packet = Packet::new_query(0);
        let question = Question::new(
            Name::new_unchecked(SERVICE),
            QTYPE::TYPE(TYPE::PTR),
            QCLASS::CLASS(CLASS::IN),
            false,
        );
        packet.questions.push(question);
        packet.answers.push(ours.ptr(OTHER_TTL));
        let bytes = packet.build_bytes_vec().expect("build");
        assert!(answer_to(&bytes, true).is_none());
    }

    #[test]
    fn probes_and_announcements_carry_our_records() {
        let probe = probe(&context());
        let parsed = Packet::parse(&probe).expect("parse");
        assert_eq!(parsed.questions.len(), 2);
        assert!(parsed.questions.iter().all(|q| q.unicast_response && q.qtype == QTYPE::ANY));
        assert!(!parsed.name_servers.is_empty());
        let announcement = announcement(&context());
        let parsed = Packet::parse(&announcement).expect("parse");
        assert!(parsed.has_flags(PacketFlag::RESPONSE));
        assert_eq!(parsed.answers.len(), 6, "A, AAAA, SRV, TXT, PTR, enumeration PTR");
        assert!(!conflicts(&parsed, &context()), "our own records are no conflict");
    }

    #[test]
    fn someone_else_with_our_name_is_a_conflict() {
        let other = Context { v4: Ipv4Addr::new(10, 9, 0, 2), v6: Vec::new(), ..context() };
        let bytes = announcement(&other);
        assert!(conflicts(&Packet::parse(&bytes).expect("parse"), &context()));
        let elsewhere = Context { port: 81, ..context() };
        assert!(
            conflicts(&Packet::parse(&announcement(&elsewhere)).expect("parse"), &context()),
            "SRV differs"
        );
        let renamed = Context::new("zerocam-2", 8080, &[], Ipv4Addr::new(10, 9, 0, 2), &[]);
        assert!(!conflicts(&Packet::parse(&announcement(&renamed)).expect("parse"), &context()));
    }

    #[test]
    fn simultaneous_probes_the_larger_address_wins() {
        let higher = Context { v4: Ipv4Addr::new(10, 9, 0, 9), ..context() };
        let lower = Context { v4: Ipv4Addr::new(10, 9, 0, 0), ..context() };
        assert!(loses_tiebreak(&Packet::parse(&probe(&higher)).expect("parse"), &context()));
        assert!(!loses_tiebreak(&Packet::parse(&probe(&lower)).expect("parse"), &context()));
        assert!(!loses_tiebreak(&Packet::parse(&probe(&context())).expect("parse"), &context()), "our own");
    }
}
