//! AWS Direct Connect: a dedicated connection from an on-premises network, its
//! virtual interfaces, and Direct Connect gateways.

use super::*;
use ipnet::IpNet;

/// MTU of a private virtual interface without jumbo frames.
pub const DX_PRIVATE_MTU: u16 = 1500;
/// MTU of a private virtual interface with jumbo frames enabled.
pub const DX_PRIVATE_JUMBO_MTU: u16 = 9001;

/// MTU of a transit virtual interface without jumbo frames.
pub const DX_TRANSIT_MTU: u16 = 1500;
/// MTU of a transit virtual interface with jumbo frames (AWS: 8500, the
/// transit gateway's own MTU).
pub const DX_TRANSIT_JUMBO_MTU: u16 = 8500;

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
    /// 1500, or 9001 with jumbo frames (private VIFs); 1500 or 8500 (transit).
    pub mtu: u16,
    pub target: VifTarget,
}

/// Where a virtual interface ends on the AWS side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VifTarget {
    /// A private VIF to a virtual private gateway.
    Vgw(VgwIdx),
    /// A private VIF to a Direct Connect gateway (associated with VGWs).
    DxGateway(DxgwIdx),
    /// A transit VIF to a Direct Connect gateway associated with transit
    /// gateways (a `direct-connect-gateway` TGW attachment).
    Transit(DxgwIdx),
}

impl VifTarget {
    /// `private` or `transit`, as written in the file.
    pub fn kind_str(self) -> &'static str {
        match self {
            VifTarget::Transit(_) => "transit",
            VifTarget::Vgw(_) | VifTarget::DxGateway(_) => "private",
        }
    }
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
            VifTarget::Transit(_) => false,
        })
    }

    /// The transit virtual interface of connection `dx` to Direct Connect
    /// gateway `g`, if any.
    pub fn dx_transit_vif(&self, dx: DxIdx, g: DxgwIdx) -> Option<usize> {
        let c = self.direct_connects.get(dx.ix())?;
        c.virtual_interfaces
            .iter()
            .position(|v| v.target == VifTarget::Transit(g))
    }

    /// The on-premises prefixes Direct Connect gateway `g` learns over its
    /// transit virtual interfaces (each connection's `onprem_cidrs`), in file
    /// order without repeats: what its TGW attachments propagate.
    pub fn dx_gateway_onprem_cidrs(&self, g: DxgwIdx) -> Vec<IpNet> {
        let mut out: Vec<IpNet> = Vec::new();
        for (i, c) in self.direct_connects.iter().enumerate() {
            if self.dx_transit_vif(DxIdx(i as u32), g).is_none() {
                continue;
            }
            for n in &c.onprem_cidrs {
                if !out.contains(n) {
                    out.push(*n);
                }
            }
        }
        out
    }
}
