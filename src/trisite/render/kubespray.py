"""A Kubespray inventory and group_vars for each Kubernetes cluster, with kube-vip holding the API address."""

from __future__ import annotations

from typing import Any

from trisite.model import Design, Index
from trisite.model.interfaces import on_network
from trisite.model.services import KubernetesCluster
from trisite.render.artifact import Apply, Artifact
from trisite.render.engine import header, to_yaml
from trisite.render.monitoring.metrics import ETCD_METRICS_PORT


def _inventory(ix: Index, cluster: KubernetesCluster) -> dict[str, Any]:
    hosts: dict[str, Any] = {}
    for name in sorted({*cluster.control_plane, *cluster.workers, *cluster.etcd}):
        iface = on_network(ix, name, cluster.api_network)
        address = str(iface.address.ip) if iface else name
        hosts[name] = {"ansible_host": address, "ip": address, "access_ip": address}
    return {
        "all": {
            "hosts": hosts,
            "children": {
                "kube_control_plane": {"hosts": {h: {} for h in cluster.control_plane}},
                "kube_node": {"hosts": {h: {} for h in cluster.workers or cluster.control_plane}},
                "etcd": {"hosts": {h: {} for h in cluster.etcd}},
                "k8s_cluster": {"children": {"kube_control_plane": {}, "kube_node": {}}},
                "calico_rr": {"hosts": {}},
            },
        }
    }


def render(design: Design, ix: Index) -> list[Artifact]:
    found = []
    for cluster in design.kubernetes:
        base = f"platform/kubespray/{cluster.name}/inventory"
        version = cluster.version or design.versions.kubernetes or ""
        k8s = {
            "cluster_name": f"{cluster.name}.{design.platform.domain}",
            "kube_version": f"v{version}",
            "kube_network_plugin": cluster.cni,
            "kube_pods_subnet": str(cluster.pod_cidr),
            "kube_service_addresses": str(cluster.service_cidr),
            "kube_proxy_strict_arp": True,
            "pod_eviction_timeout": f"{cluster.pod_eviction_timeout_s}s",
        }
        addons = {
            "kube_vip_enabled": True,
            "kube_vip_controlplane_enabled": True,
            "kube_vip_arp_enabled": True,
            "kube_vip_address": str(cluster.api_vip),
            "loadbalancer_apiserver": {"address": str(cluster.api_vip), "port": 6443},
            "apiserver_loadbalancer_domain_name": f"api.{cluster.name}.{design.platform.domain}",
        }
        # etcd's plain-HTTP /metrics beside its TLS client port, for the etcd scrape job and alerts.
        port = ETCD_METRICS_PORT
        etcd = {
            "etcd_metrics_port": port,
            "etcd_listen_metrics_urls": f"http://{{{{ etcd_address }}}}:{port},http://127.0.0.1:{port}",
        }
        files = {
            "hosts.yaml": to_yaml(_inventory(ix, cluster), header("Kubespray inventory")),
            "group_vars/all/etcd.yml": to_yaml(etcd, header("Kubespray etcd metrics")),
            "group_vars/k8s_cluster/k8s-cluster.yml": to_yaml(k8s, header("Kubespray cluster settings")),
            "group_vars/k8s_cluster/addons.yml": to_yaml(addons, header("Kubespray API address (kube-vip)")),
        }
        for path, content in files.items():
            found.append(
                Artifact(
                    f"{base}/{path}",
                    content,
                    "kubespray",
                    "",
                    None,
                    Apply("ansible", "ansible-playbook -i hosts.yaml cluster.yml"),
                )
            )
    return found
