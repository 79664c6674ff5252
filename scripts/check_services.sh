#!/usr/bin/env bash
# Are the services the suite needs answering? PostgreSQL (127.0.0.1:5432) and Redis
# (127.0.0.1:6379), or PG_HOST/PG_PORT and REDIS_HOST/REDIS_PORT. Exits 1 naming each one
# that does not answer, so CI fails at once with the reason instead of deep in the suite.
set -uo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
failed=0

# PostgreSQL answers an SSLRequest (length 8, code 80877103) with one byte: S or N.
postgresql_answers() {
  exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT" || return 1
  printf '\x00\x00\x00\x08\x04\xd2\x16\x2f' >&3
  local reply
  IFS= read -r -t 5 -n 1 reply <&3
  exec 3<&- 3>&-
  [[ $reply == S || $reply == N ]]
}

redis_answers() {
  exec 4<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" || return 1
  printf 'PING\r\n' >&4
  local reply
  IFS= read -r -t 5 reply <&4
  exec 4<&- 4>&-
  [[ $reply == +PONG* ]]
}

if timeout 10 bash -c "$(declare -f postgresql_answers); PG_HOST=$PG_HOST PG_PORT=$PG_PORT postgresql_answers" 2>/dev/null; then
  echo "PostgreSQL answers on $PG_HOST:$PG_PORT"
else
  echo "FAIL: PostgreSQL does not answer on $PG_HOST:$PG_PORT (start it; the suite runs on it too)" >&2
  failed=1
fi
if timeout 10 bash -c "$(declare -f redis_answers); REDIS_HOST=$REDIS_HOST REDIS_PORT=$REDIS_PORT redis_answers" 2>/dev/null; then
  echo "Redis answers on $REDIS_HOST:$REDIS_PORT"
else
  echo "FAIL: Redis does not answer on $REDIS_HOST:$REDIS_PORT (start it; rate limits are tested on it)" >&2
  failed=1
fi
exit $failed
