use super::*;
use crate::wire::fragment_ipv4;
use crate::wire::test_support::*;

#[test]
fn fragments_in_any_order_reassemble() {
    let original = frame(false, tcp(0x18), 4000);
    let mut frags = Vec::new();
    fragment_ipv4(&original, 1000, &mut frags).unwrap();
    frags.swap(0, 3);
    frags.swap(1, 2);
    assert_eq!(reassemble_ipv4(&frags).unwrap(), original);
}
