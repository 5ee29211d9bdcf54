#!/test/busybox sh
# The control port for ci/qemu-checks-libcamera.sh (guest port 8083, forwarded from the
# host): one command per connection, each answered by vimc-control.sh.
exec /test/busybox nc -ll -p 8083 -e /test/vimc-control.sh
