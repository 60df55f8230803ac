#!/bin/sh
# Softdep tokens before any "pre:"/"post:" ("softdep cifs ccm", or "softdep
# ksmbd gcm crypto-md5 pre: ccm post: gcm"): kmod ignores them; initrd-modset
# puts their targets in the image as weak deps ("load": false unless loaded for
# another reason) marked "untagged": true. "pre:ccm" (glued) is one untagged
# token naming nothing. --no-weak and --kmod-compat drop untagged tokens.
. "$SRCDIR/tests/cli/lib.sh"
S=$(tree soft)

echo "== cifs (modules.softdep: 'ccm', 'gcm', 'pre: nls_utf8')"
"$MODSET" -q -r "$S" -f json cifs | jflat
echo "== ksmbd (config: 'gcm crypto-md5 pre: ccm post: gcm'): gcm is both post: and untagged"
"$MODSET" -q -r "$S" -f json ksmbd | jflat | grep -e '^{' -e '^"load_order"'
echo "== list: untagged targets after the load order"
msq -r "$S" cifs ksmbd | rel "$S"
echo "== glued 'pre:ccm'"
ms -r "$S" -C "$FIXTURES/soft/etc/modprobe.d/10-untagged.conf" -f order glued
"$MODSET" -q -r "$S" -f json glued | jflat | grep -e '^"load_order"'
echo "== --no-weak"
msq -r "$S" --no-weak cifs ksmbd | rel "$S"
echo "== --kmod-compat"
msq -r "$S" --kmod-compat cifs ksmbd | rel "$S"
