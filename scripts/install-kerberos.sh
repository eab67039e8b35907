#!/usr/bin/env bash
# Installs Debian's MIT Kerberos KDC and client tools (krb5-kdc, krb5-admin-server, krb5-user) if missing: the
# Kerberos (SASL GSSAPI) tests start a throwaway KDC of their own on a loopback port (tests/Orleans.ZooKeeper.Testing/
# KerberosKdc.cs). The packages' services are not started (no systemd here; the tests run krb5kdc themselves).
# Idempotent: does nothing when /usr/sbin/krb5kdc and /usr/sbin/kadmin.local already exist.
set -euo pipefail

if [[ -x /usr/sbin/krb5kdc && -x /usr/sbin/kadmin.local && -x /usr/sbin/kdb5_util ]]; then
  echo "install-kerberos: krb5kdc, kadmin.local and kdb5_util already present; nothing to do."
  exit 0
fi

source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"
apt_install install-kerberos --no-install-recommends krb5-kdc krb5-admin-server krb5-user

if [[ ! -x /usr/sbin/krb5kdc ]]; then
  echo "install-kerberos: installation finished but /usr/sbin/krb5kdc is still missing." >&2
  exit 1
fi
echo "install-kerberos: installed /usr/sbin/krb5kdc."
