//! Networks that change during a run (`[[change]]`, issue #14 part 2): each kind
//! of change, end to end, with the flow timelines and expectation windows it
//! produces in the run's reports.

use peeremu::output::FlowReport;
use peeremu::sim::{run_network, NullObserver, RunResult, SimConfig};
use peeremu::topology::{load_file, load_str};
use std::path::Path;

fn run(text: &str) -> RunResult {
    let net = load_str(text, "t.toml").unwrap_or_else(|e| panic!("{e}"));
    run_network(&net, &SimConfig::default(), &mut NullObserver).expect("runs")
}

fn run_example(name: &str) -> RunResult {
    let net = load_file(Path::new(&format!("topologies/{name}.toml"))).expect("loads");
    run_network(&net, &SimConfig::default(), &mut NullObserver).expect("runs")
}

fn flow<'a>(r: &'a RunResult, name: &str) -> &'a FlowReport {
    r.reports.iter().find(|f| f.name == name).expect(name)
}

/// (at_ms, outcome, change) of a flow's timeline.
fn steps(f: &FlowReport) -> Vec<(f64, String, Option<String>)> {
    f.timeline
        .as_ref()
        .expect("a timeline")
        .steps
        .iter()
        .map(|s| (s.at_ms, s.outcome.clone(), s.change.clone()))
        .collect()
}

fn all_met(r: &RunResult) {
    assert!(r.totals.conservation.holds, "{:?}", r.totals.conservation);
    for f in &r.reports {
        let (text, met) = f.expectation.clone().expect("an expectation");
        assert!(met, "{}: {text}: {:?}", f.name, f.timeline);
    }
}

/// Two VPCs, a peering with `status`, one UDP flow app → db at 10 datagrams a
/// second for 3 s, and `extra` appended (changes, more objects).
fn two_vpcs(status: &str, extra: &str) -> String {
    format!(
        r#"
[[vpc]]
id = "vpc-a"
region = "us-east-1"
cidr = "10.0.0.0/16"

[[vpc]]
id = "vpc-b"
region = "us-east-1"
cidr = "10.1.0.0/16"

[[peering]]
id = "pcx-ab"
requester = "vpc-a"
accepter = "vpc-b"
status = "{status}"

[[subnet]]
id = "subnet-a"
vpc = "vpc-a"
az = "us-east-1a"
cidr = "10.0.1.0/24"

[[subnet]]
id = "subnet-b"
vpc = "vpc-b"
az = "us-east-1a"
cidr = "10.1.1.0/24"
nacl = "acl-b"

[[network_acl]]
id = "acl-b"
vpc = "vpc-b"
inbound = [{{ rule = 100, protocol = "all", cidr = "0.0.0.0/0", action = "allow" }}]
outbound = [{{ rule = 100, protocol = "all", cidr = "0.0.0.0/0", action = "allow" }}]

[[route_table]]
id = "rtb-a"
vpc = "vpc-a"
main = true
routes = [{{ destination = "10.1.0.0/16", target = "pcx-ab" }}]

[[route_table]]
id = "rtb-b"
vpc = "vpc-b"
main = true
routes = [{{ destination = "10.0.0.0/16", target = "pcx-ab" }}]

[[security_group]]
id = "sg-b"
vpc = "vpc-b"
ingress = [{{ protocol = "udp", ports = 9000, cidr = "10.0.0.0/16" }}]

[[instance]]
id = "i-app"
name = "app"
subnet = "subnet-a"
private_ip = "10.0.1.10"

[[instance]]
id = "i-db"
name = "db"
subnet = "subnet-b"
private_ip = "10.1.1.20"
security_groups = ["sg-b"]

[[flow]]
name = "udp"
kind = "udp"
from = "app"
to = "db"
port = 9000
count = 30
rate_pps = 10
{extra}
"#
    )
}

#[test]
fn peering_lifecycle_example_carries_traffic_only_while_active() {
    let r = run_example("peering-lifecycle");
    all_met(&r);
    let udp = flow(&r, "app-to-db-udp");
    assert_eq!(
        steps(udp),
        vec![
            (50.0, "dropped:PEERING_NOT_ACTIVE".into(), None),
            (
                1000.0,
                "delivered".into(),
                Some("accept_peering pcx-ab".into())
            ),
            (
                2000.0,
                "dropped:BLACKHOLE_ROUTE".into(),
                Some("delete_peering pcx-ab".into())
            ),
        ]
    );
    // 10 datagrams a second: those of the active second arrive; the ten
    // before the acceptance meet a peering not active yet, the ten after the
    // deletion a route that is now a blackhole (AWS: a route to a deleted
    // peering is `blackhole`), named with the deleted peering.
    assert_eq!(udp.delivered_packets, 10);
    assert_eq!(udp.drops.get("PEERING_NOT_ACTIVE"), Some(&10));
    assert_eq!(udp.drops.get("BLACKHOLE_ROUTE"), Some(&10));
    let why = &udp.drop_objects["BLACKHOLE_ROUTE"];
    assert!(
        why.contains("rtb-a route") && why.contains("pcx-ab") && why.contains("deleted"),
        "{why}"
    );
    // The TCP flow's SYNs were dropped until the acceptance; a retransmitted
    // SYN then opened it.
    let tcp = flow(&r, "app-to-db-tcp");
    assert_eq!(tcp.outcome.as_str(), "delivered");
    assert!(tcp.drops.contains_key("PEERING_NOT_ACTIVE"));
    assert!(tcp.completion_ns.is_some_and(|c| c > 600_000_000));
}

#[test]
fn sg_rule_removal_keeps_tracked_connections_and_stops_untracked_flows() {
    let r = run_example("sg-change-tracked");
    all_met(&r);
    let open = flow(&r, "open-connection");
    assert_eq!(open.outcome.as_str(), "delivered");
    assert_eq!(open.responses, Some(30));
    assert!(open.drops.is_empty(), "{:?}", open.drops);
    let new = flow(&r, "new-connection");
    assert_eq!(new.outcome.as_str(), "dropped");
    assert!(new.drops.contains_key("SG_NO_MATCH"));
    let udp = flow(&r, "untracked-udp");
    assert_eq!(
        udp.delivered_packets, 20,
        "20 datagrams in the first second"
    );
    assert_eq!(
        steps(udp)[1],
        (
            1000.0,
            "dropped:SG_NO_MATCH".into(),
            Some("remove_sg_rule sg-cache ingress".into())
        )
    );
}

#[test]
fn a_nacl_rule_added_applies_to_the_next_packet_and_removed_lifts_it() {
    let r = run(&two_vpcs(
        "active",
        r#"expect_windows = [
  { until_ms = 1000, outcome = "delivered" },
  { from_ms = 1000, until_ms = 2000, outcome = "dropped:NACL_DENY" },
  { from_ms = 2000, outcome = "delivered" },
]

[[change]]
at_ms = 1000
action = "add_nacl_rule"
network_acl = "acl-b"
direction = "inbound"
nacl_rule = { rule = 50, protocol = "udp", ports = 9000, cidr = "10.0.0.0/16", action = "deny" }

[[change]]
at_ms = 2000
action = "remove_nacl_rule"
network_acl = "acl-b"
direction = "inbound"
rule_number = 50
"#,
    ));
    all_met(&r);
    let f = flow(&r, "udp");
    assert_eq!(f.delivered_packets, 20);
    assert_eq!(f.drops.get("NACL_DENY"), Some(&10));
}

#[test]
fn routes_removed_added_and_replaced_take_effect_at_their_time() {
    let r = run(&two_vpcs(
        "active",
        r#"expect_windows = [
  { until_ms = 500, outcome = "delivered" },
  { from_ms = 500, until_ms = 1000, outcome = "dropped:NO_ROUTE" },
  { from_ms = 1000, until_ms = 2000, outcome = "delivered" },
  { from_ms = 2000, outcome = "dropped:BLACKHOLE_ROUTE" },
]

[[change]]
at_ms = 500
action = "remove_route"
route_table = "rtb-a"
destination = "10.1.0.0/16"

[[change]]
at_ms = 1000
action = "add_route"
route_table = "rtb-a"
destination = "10.1.0.0/16"
target = "pcx-ab"

[[change]]
at_ms = 2000
action = "replace_route"
route_table = "rtb-a"
destination = "10.1.0.0/16"
target = "blackhole"
"#,
    ));
    all_met(&r);
    let f = flow(&r, "udp");
    let outcomes: Vec<String> = steps(f).into_iter().map(|s| s.1).collect();
    assert_eq!(
        outcomes,
        [
            "delivered",
            "dropped:NO_ROUTE",
            "delivered",
            "dropped:BLACKHOLE_ROUTE"
        ]
    );
}

#[test]
fn a_stopped_instance_answers_nothing_until_started() {
    let r = run(&two_vpcs(
        "active",
        r#"expect_windows = [
  { until_ms = 1000, outcome = "delivered" },
  { from_ms = 1000, until_ms = 2000, outcome = "dropped:INSTANCE_STOPPED" },
  { from_ms = 2000, outcome = "delivered" },
]

[[change]]
at_ms = 1000
action = "stop_instance"
instance = "db"

[[change]]
at_ms = 2000
action = "start_instance"
instance = "i-db"
"#,
    ));
    all_met(&r);
    let f = flow(&r, "udp");
    assert_eq!(f.drops.get("INSTANCE_STOPPED"), Some(&10));
    assert!(
        f.drop_objects["INSTANCE_STOPPED"].contains("i-db"),
        "{:?}",
        f.drop_objects
    );
}

#[test]
fn a_peering_rejected_or_expired_never_carries_traffic() {
    for (step, status) in [
        ("reject_peering", "rejected"),
        ("expire_peering", "expired"),
    ] {
        let r = run(&two_vpcs(
            "pending-acceptance",
            &format!(
                r#"expect = "dropped:PEERING_NOT_ACTIVE"

[[change]]
at_ms = 500
action = "{step}"
peering = "pcx-ab"
"#
            ),
        ));
        all_met(&r);
        let f = flow(&r, "udp");
        assert_eq!(f.delivered_packets, 0);
        assert!(
            f.drop_objects["PEERING_NOT_ACTIVE"].contains("pending-acceptance"),
            "the first drop was before the {step}"
        );
        // Rejected and expired are final: the route to the peering is a
        // blackhole from then on, naming the peering and its status.
        let last = steps(f).pop().expect("a step");
        assert_eq!(last.1, "dropped:BLACKHOLE_ROUTE", "{status}");
        assert!(
            f.drop_objects["BLACKHOLE_ROUTE"]
                .contains(&format!("pcx-ab (blackhole: the peering is {status})")),
            "{:?}",
            f.drop_objects
        );
    }
}

#[test]
fn a_failing_window_fails_the_flow() {
    let r = run(&two_vpcs(
        "active",
        r#"expect_windows = [{ from_ms = 1000, outcome = "dropped:PEERING_NOT_ACTIVE" }]"#,
    ));
    let f = flow(&r, "udp");
    let (text, met) = f.expectation.clone().expect("an expectation");
    assert!(!met, "{text}");
    let w = &f.timeline.as_ref().expect("a timeline").windows[0];
    assert_eq!((w.outcome.as_str(), w.met), ("delivered", false));
}

/// tgw-hub-spokes with `changes` appended and the app → data ping replaced by
/// ten pings a second for one second, checked by `windows`.
fn hub_spokes_with(extra: &str, windows: &str) -> String {
    let text = std::fs::read_to_string("topologies/tgw-hub-spokes.toml").expect("example");
    let text = format!("{text}\n{extra}\n").replace(
        "name = \"app-to-data-ping\"\nkind = \"ping\"\nfrom = \"app\"\nto = \"data\"\ncount = 5\nexpect = \"delivered\"",
        &format!("name = \"app-to-data-ping\"\nkind = \"ping\"\nfrom = \"app\"\nto = \"data\"\ncount = 10\nrate_pps = 10\nexpect_windows = [{windows}]"),
    );
    assert!(text.contains("expect_windows"), "the flow was rewritten");
    text
}

fn state_change(at_ms: u32, state: &str) -> String {
    format!(
        "[[change]]\nat_ms = {at_ms}\naction = \"set_tgw_attachment_state\"\ntgw_attachment = \"tgw-attach-data\"\nstate = \"{state}\"\n"
    )
}

#[test]
fn a_static_tgw_route_to_a_deleted_attachment_stays_and_drops_with_its_state() {
    // vpc-app's attachment looks up a table of its own with a static route to
    // vpc-data's attachment: the route stays when the attachment is deleted,
    // and the drop names the attachment's state.
    let table = "[[tgw_route_table]]\nid = \"tgw-rtb-app\"\ntgw = \"tgw-hub\"\nassociations = [\"tgw-attach-app\"]\nroutes = [{ destination = \"10.2.0.0/16\", target = \"tgw-attach-data\" }]\n";
    let r = run(&hub_spokes_with(
        &format!("{table}\n{}", state_change(250, "deleted")),
        r#"{ until_ms = 250, outcome = "delivered" }, { from_ms = 250, outcome = "dropped:TGW_ATTACHMENT_NOT_AVAILABLE" }"#,
    ));
    let f = flow(&r, "app-to-data-ping");
    let (text, met) = f.expectation.clone().expect("an expectation");
    assert!(met, "{text}: {:?}", f.timeline);
    assert!(!f.drops.contains_key("TGW_NO_ROUTE"), "{:?}", f.drops);
    assert!(r.totals.conservation.holds);
}

#[test]
fn propagated_tgw_routes_are_withdrawn_while_the_attachment_is_not_available() {
    // Default propagation: vpc-data's CIDR is in the hub's table while its
    // attachment is available. Pending from 300 ms: withdrawn, so the TGW has
    // no route for it (naming the withdrawn propagation); available again at
    // 600 ms: propagated again, delivered.
    let r = run(&hub_spokes_with(
        &format!(
            "{}\n{}",
            state_change(300, "pending"),
            state_change(600, "available")
        ),
        r#"{ until_ms = 300, outcome = "delivered" }, { from_ms = 300, until_ms = 600, outcome = "dropped:TGW_NO_ROUTE" }, { from_ms = 600, outcome = "delivered" }"#,
    ));
    let f = flow(&r, "app-to-data-ping");
    let (text, met) = f.expectation.clone().expect("an expectation");
    assert!(met, "{text}: {:?}", f.timeline);
    assert!(
        !f.drops.contains_key("TGW_ATTACHMENT_NOT_AVAILABLE"),
        "{:?}",
        f.drops
    );
    let why = &f.drop_objects["TGW_NO_ROUTE"];
    assert!(
        why.contains("propagated by tgw-attach-data is withdrawn: the attachment is pending"),
        "{why}"
    );
    let outcomes: Vec<String> = steps(f).into_iter().map(|s| s.1).collect();
    assert_eq!(outcomes, ["delivered", "dropped:TGW_NO_ROUTE", "delivered"]);
    assert!(r.totals.conservation.holds);
}

#[test]
fn runs_without_changes_have_no_timeline() {
    let r = run(&two_vpcs("active", ""));
    assert!(r.reports.iter().all(|f| f.timeline.is_none()));
}

#[test]
fn a_changing_network_reruns_identically() {
    let a = run_example("peering-lifecycle");
    let b = run_example("peering-lifecycle");
    let view = |r: &RunResult| -> Vec<String> {
        r.reports
            .iter()
            .map(|f| {
                format!(
                    "{} {:?} {:?} {:?}",
                    f.name, f.timeline, f.drops, f.completion_ns
                )
            })
            .collect()
    };
    assert_eq!(view(&a), view(&b));
}
