//! `peeremu trace` details that answer the next question: when each hop happens
//! (virtual time), the security group rule's own description, NAT hops in the
//! order the frame meets them, a private address addressed from the internet,
//! and "did you mean" for a misspelt endpoint.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn topo(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("topologies")
        .join(format!("{name}.toml"))
}

fn trace_raw(name: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peeremu"))
        .arg("trace")
        .arg(topo(name))
        .args(args)
        .output()
        .expect("peeremu runs")
}

fn trace_json(name: &str, args: &[&str]) -> (i32, Value) {
    let out = trace_raw(name, &[args, &["--json"]].concat());
    let text = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (out.status.code().unwrap_or(-1), v)
}

fn hops(leg: &Value) -> &Vec<Value> {
    leg["hops"].as_array().expect("hops")
}

/// Index of the first hop satisfying `f`, for order checks.
fn at(hops: &[Value], what: &str, f: impl Fn(&Value) -> bool) -> usize {
    hops.iter()
        .position(f)
        .unwrap_or_else(|| panic!("no {what} hop in {hops:#?}"))
}

#[test]
fn every_hop_has_its_virtual_time() {
    // app (private subnet) → NAT gateway → internet gateway → api on the internet:
    // the example's latencies are 0.1 ms to the NAT gateway (same AZ) and 10 ms
    // across the internet.
    let (code, v) = trace_json("internet-egress", &["--from", "app", "--to", "api"]);
    assert_eq!(code, 0, "{v:#}");
    let req = hops(&v["request"]);
    let times: Vec<u64> = req.iter().map(|h| h["time_ns"].as_u64().unwrap()).collect();
    assert_eq!(times[0], 0, "{times:?}");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let nat = at(req, "NAT gateway", |h| h["gateway"] == "nat-app");
    assert_eq!(times[nat], 100_000, "{times:?}");
    let arrival = v["request"]["latency_ns"].as_u64().unwrap();
    assert_eq!(arrival, 10_100_000);
    assert_eq!(*times.last().unwrap(), arrival, "{times:?}");
    // The reply leaves when the request arrives.
    let reply = hops(&v["reply"]);
    assert_eq!(reply[0]["time_ns"].as_u64(), Some(arrival));
    let back = v["reply"]["latency_ns"].as_u64().unwrap();
    assert_eq!(
        reply.last().unwrap()["time_ns"].as_u64(),
        Some(arrival + back)
    );
    // The text shows each hop's offset.
    let out = trace_raw("internet-egress", &["--from", "app", "--to", "api"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("   1. +0.000 ms  ENI eni-app (app, 10.30.1.10) sends"),
        "{text}"
    );
    assert!(text.contains("+10.100 ms  delivered to api"), "{text}");
}

#[test]
fn the_security_group_rule_description_is_shown() {
    let out = trace_raw(
        "two-vpc-peering",
        &["--from", "app", "--to", "db", "--port", "5432"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "security group sg-db ingress rule #0: allows tcp 5432 from sg-app \"postgres from the app tier, across the peering\" (tracked)"
        ),
        "{text}"
    );
    let (_, v) = trace_json(
        "two-vpc-peering",
        &["--from", "app", "--to", "db", "--port", "5432"],
    );
    let sg = at(hops(&v["request"]), "sg-db", |h| h["sg"] == "sg-db");
    assert_eq!(
        hops(&v["request"])[sg]["description"],
        "postgres from the app tier, across the peering"
    );
    // A rule without a description shows none.
    assert!(
        text.contains(
            "security group sg-app egress rule #0: allows all traffic to 0.0.0.0/0 (tracked)"
        ),
        "{text}"
    );
}

#[test]
fn nat_hops_come_in_the_order_the_frame_meets_them() {
    let (code, v) = trace_json("internet-egress", &["--from", "app", "--to", "api"]);
    assert_eq!(code, 0, "{v:#}");
    let req = hops(&v["request"]);
    let to_nat = at(req, "route to the NAT", |h| {
        h["route_table"] == "rtb-private"
    });
    let nat_in = at(req, "NAT subnet NACL inbound", |h| {
        h["kind"] == "nacl"
            && h["direction"] == "inbound"
            && h["text"].as_str().unwrap().contains("subnet-public")
    });
    let nat = at(req, "NAT gateway", |h| h["gateway"] == "nat-app");
    let to_private = at(req, "NAT translation", |h| {
        h["kind"] == "translate" && h["text"].as_str().unwrap().contains("-> 10.30.0.5:")
    });
    let public_rtb = at(req, "NAT subnet route", |h| {
        h["route_table"] == "rtb-public"
    });
    let nat_out = at(req, "NAT subnet NACL outbound", |h| {
        h["kind"] == "nacl"
            && h["direction"] == "outbound"
            && h["text"].as_str().unwrap().contains("subnet-public")
    });
    let igw = at(req, "internet gateway", |h| h["gateway"] == "igw-app");
    let to_eip = at(req, "Elastic IP", |h| {
        h["kind"] == "translate"
            && h["text"]
                .as_str()
                .unwrap()
                .contains("10.30.0.5 -> 3.20.0.5")
    });
    let order = [
        to_nat, nat_in, nat, to_private, public_rtb, nat_out, igw, to_eip,
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{req:#?}");

    // The reply: the internet gateway maps the Elastic IP back to the NAT's private
    // address, the NAT subnet's NACL inbound sees that, then the NAT translates to
    // the instance and the NACL outbound sees the result.
    let reply = hops(&v["reply"]);
    let igw = at(reply, "internet gateway", |h| h["gateway"] == "igw-app");
    let to_nat_ip = at(reply, "EIP → NAT", |h| {
        h["kind"] == "translate"
            && h["text"]
                .as_str()
                .unwrap()
                .contains("3.20.0.5 -> 10.30.0.5")
    });
    let nat_in = at(reply, "NAT subnet NACL inbound", |h| {
        h["kind"] == "nacl"
            && h["direction"] == "inbound"
            && h["text"].as_str().unwrap().contains("subnet-public")
    });
    let nat = at(reply, "NAT gateway", |h| h["gateway"] == "nat-app");
    let to_app = at(reply, "NAT → instance", |h| {
        h["kind"] == "translate" && h["text"].as_str().unwrap().contains("-> 10.30.1.10:49152")
    });
    let nat_out = at(reply, "NAT subnet NACL outbound", |h| {
        h["kind"] == "nacl"
            && h["direction"] == "outbound"
            && h["text"].as_str().unwrap().contains("subnet-public")
    });
    let app_in = at(reply, "app subnet NACL inbound", |h| {
        h["kind"] == "nacl" && h["text"].as_str().unwrap().contains("subnet-private")
    });
    let order = [igw, to_nat_ip, nat_in, nat, to_app, nat_out, app_in];
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "{order:?}\n{reply:#?}"
    );
}

#[test]
fn a_private_address_from_the_internet_is_named_as_such() {
    // web's private address, from the internet: dropped where the internet
    // would drop it, with the public IP to use instead.
    let (code, v) = trace_json("internet-egress", &["--from", "api", "--to", "10.30.0.10"]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["reason"], "UNKNOWN_DESTINATION");
    let drop = &v["request"]["drop"];
    assert_eq!(
        drop["detail"],
        "10.30.0.10 is a private address, not reachable from the internet (the private address of eni-web)"
    );
    assert!(
        drop["hint"]
            .as_str()
            .unwrap()
            .contains("public IP 54.20.0.10"),
        "{drop}"
    );
    // Inside a VPC's CIDR but nobody's: said so.
    let out = trace_raw("internet-egress", &["--from", "app", "--to", "10.30.2.99"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("10.30.2.99 is inside vpc-app but no ENI has it"),
        "{err}"
    );
}

#[test]
fn a_misspelt_endpoint_gets_did_you_mean() {
    let out = trace_raw("nacl-ephemeral", &["--from", "client", "--to", "db-brokn"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'db-brokn' is not an instance, ENI, external host or IP address; did you mean `db-broken`?"),
        "{err}"
    );
    let out = trace_raw("nacl-ephemeral", &["--from", "clinet", "--to", "db-broken"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean `client`?"), "{err}");
}
