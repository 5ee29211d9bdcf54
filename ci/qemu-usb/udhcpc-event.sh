#!/test/busybox sh
# busybox udhcpc's event script for usb-dhcp-check.sh: reports the lease and configures
# nothing (the board already holds the server side of that link).
echo "usb-dhcp-check: $1 ip=$ip subnet=$subnet router=$router dns=$dns serverid=$serverid lease=$lease"
