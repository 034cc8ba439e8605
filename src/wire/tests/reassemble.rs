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

#[test]
fn a_single_whole_frame_comes_back_without_padding() {
    let original = frame(false, UDP, 0);
    let mut padded = original.clone();
    padded.resize(60, 0);
    assert_eq!(reassemble_ipv4(&[padded]).unwrap(), original);
}

#[test]
fn gaps_mixtures_and_garbage_are_errors() {
    let original = frame(false, UDP, 3000);
    let mut frags = Vec::new();
    fragment_ipv4(&original, 1000, &mut frags).unwrap();
    assert_eq!(
        reassemble_ipv4(&[]),
        Err(Malformed("no fragments to reassemble"))
    );
    let missing_middle = [frags[0].clone(), frags[2].clone(), frags[3].clone()];
    assert_eq!(
        reassemble_ipv4(&missing_middle),
        Err(Malformed("IPv4 fragments missing"))
    );
    assert_eq!(
        reassemble_ipv4(&frags[1..]),
        Err(Malformed("IPv4 fragments missing"))
    );
    assert_eq!(
        reassemble_ipv4(&frags[..3]),
        Err(Malformed("IPv4 fragments missing"))
    );

    let mut other = Vec::new();
    let mut s = spec(false, UDP, 3000);
    s.identification = 7;
    fragment_ipv4(&crate::wire::build_packet(&s).unwrap(), 1000, &mut other).unwrap();
    let mixed = [
        frags[0].clone(),
        other[1].clone(),
        frags[2].clone(),
        frags[3].clone(),
    ];
    assert_eq!(
        reassemble_ipv4(&mixed),
        Err(Malformed("fragments of different datagrams"))
    );

    let mut with_v6 = frags.clone();
    with_v6.push(frame(true, UDP, 10));
    assert!(reassemble_ipv4(&with_v6).is_err());
    let mut truncated = frags.clone();
    truncated[1].truncate(100);
    assert!(reassemble_ipv4(&truncated).is_err());
}

#[test]
fn duplicates_are_harmless() {
    let original = frame(false, ECHO, 2500);
    let mut frags = Vec::new();
    fragment_ipv4(&original, 800, &mut frags).unwrap();
    let mut doubled = frags.clone();
    doubled.extend(frags.iter().cloned());
    assert_eq!(reassemble_ipv4(&doubled).unwrap(), original);
}
