//! Typed indices into the [`Network`](super::Network) tables.

macro_rules! index_type {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl $name {
            /// The position in its table.
            #[inline]
            pub fn ix(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

index_type!(
    /// Index into `Network::regions`.
    RegionIdx,
    /// Index into `Network::azs`.
    AzIdx,
    /// Index into `Network::vpcs`.
    VpcIdx,
    /// Index into `Network::subnets`.
    SubnetIdx,
    /// Index into `Network::route_tables`.
    RtbIdx,
    /// Index into `Network::nacls`.
    NaclIdx,
    /// Index into `Network::security_groups`.
    SgIdx,
    /// Index into `Network::prefix_lists`.
    PlIdx,
    /// Index into `Network::enis`.
    EniIdx,
    /// Index into `Network::instances`.
    InstanceIdx,
    /// Index into `Network::peerings`.
    PcxIdx,
    /// Index into `Network::internet_gateways`.
    IgwIdx,
    /// Index into `Network::nat_gateways`.
    NatIdx,
    /// Index into `Network::vpn_gateways`.
    VgwIdx,
    /// Index into `Network::gateway_endpoints`.
    VpceIdx,
    /// Index into `Network::external_hosts`.
    HostIdx,
    /// Index into `Network::flows`.
    FlowIdx,
    /// Index into `Network::transit_gateways`.
    TgwIdx,
    /// Index into `Network::tgw_attachments`.
    TgwAttIdx,
    /// Index into `Network::tgw_route_tables`.
    TgwRtbIdx,
    /// Index into `Network::egress_only_internet_gateways`.
    EigwIdx,
    /// Index into `Network::direct_connect_gateways`.
    DxgwIdx,
    /// Index into `Network::direct_connects`.
    DxIdx,
    /// Index into `Network::load_balancers`.
    LbIdx,
    /// Index into `Network::endpoint_services`.
    EpsIdx,
    /// Index into `Network::interface_endpoints`.
    IfeIdx,
);
