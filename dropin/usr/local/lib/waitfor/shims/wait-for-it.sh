#!/bin/sh
exec /usr/local/lib/waitfor/wait-for-it.sh "$@"
