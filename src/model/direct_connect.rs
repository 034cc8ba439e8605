//! AWS Direct Connect: a dedicated connection from an on-premises network, its
//! virtual interfaces, and Direct Connect gateways.

use super::*;
use ipnet::IpNet;

/// MTU of a private virtual interface without jumbo frames.
pub const DX_PRIVATE_MTU: u16 = 1500;
/// MTU of a private virtual interface with jumbo frames enabled.
pub const DX_PRIVATE_JUMBO_MTU: u16 = 9001;

/// A Direct Connect connection (`dxcon-…`) and the network behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectConnect {
    pub id: String,
    /// The on-premises prefixes the customer router advertises over BGP.
    pub onprem_cidrs: Vec<IpNet>,
    /// One-way latency between the AWS side and on-premises hosts.
    pub latency_ns: u64,
    /// Port speed, bits per second: the on-premises hosts' link rate.
    pub bandwidth_bps: u64,
    pub virtual_interfaces: Vec<VirtualInterface>,
}

/// A virtual interface (`dxvif-…`) of a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualInterface {
    pub id: String,
    /// 1500, or 9001 with jumbo frames (private VIFs).
    pub mtu: u16,
    pub target: VifTarget,
}

/// Where a private virtual interface ends on the AWS side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VifTarget {
    Vgw(VgwIdx),
    DxGateway(DxgwIdx),
}

/// A Direct Connect gateway (`dxgw-…`): global, joins private VIFs to the
/// virtual private gateways associated with it.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectConnectGateway {
    pub id: String,
    pub vpn_gateways: Vec<VgwIdx>,
}

impl Network {
    /// The virtual interface of connection `dx` that reaches VGW `g` (directly
    /// or through a Direct Connect gateway associated with it), if any.
    pub fn dx_vif_to_vgw(&self, dx: DxIdx, g: VgwIdx) -> Option<usize> {
        let c = self.direct_connects.get(dx.ix())?;
        c.virtual_interfaces.iter().position(|v| match v.target {
            VifTarget::Vgw(x) => x == g,
            VifTarget::DxGateway(d) => self
                .direct_connect_gateways
                .get(d.ix())
                .is_some_and(|d| d.vpn_gateways.contains(&g)),
        })
    }
}
