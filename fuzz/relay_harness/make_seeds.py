#!/usr/bin/env python3
"""Writes the seed inputs of fuzz_relay (fuzz/corpus/relay/) in its op language (ops.md).

Each seed is a short scenario that reaches a deep state: two clients AUTH and exchange the RFC
example messages, chunked and re-chunked SENDs, REPORT and NICKNAME round trips, dials that come
up or fail, a relay identified by its certificate, relay-less peers, backpressure, F-11 end-line
cutting, timeouts, expiry and drain. Usage: python3 fuzz/relay_harness/make_seeds.py [OUT_DIR]
(default fuzz/corpus/relay). seed-* files are rewritten, and so are the regression-* inputs
this script knows (findings of fuzz_relay in the engine; other regression-* files are kept).
"""
import os
import sys

(OPEN, AUTH, SEND, REQUEST, DELIVER, RAW, TAKE, STALL, RESPOND, CLOSE, DIAL, ADVANCE, ENDLINE, DRAIN,
 RELOAD, MUTATE, RESPOND_ALL, SYNC, SEND_RFC) = range(19)

# OPEN kinds
CLIENT, PLAIN, RELAY2, RELAY3, CERT_CLIENT = 0, 2, 3, 4, 5
# SEND / REQUEST shapes (BuildToPath)
THROUGH, INBOUND, EXTERNAL, TO_HOST, TOKEN_ELSEWHERE, FREE, RELAY_ITSELF, THROUGH_EXT = range(8)
# ExternalUri indexes (selected by target >> 2)
EXT_RELAY2_FAR, EXT_RELAY3, EXT_PLAIN, EXT_V6, EXT_RELAY2 = 0, 1, 2, 3, 4
# ADVANCE steps: 10 ms, 200 ms, 1 s, 3 s, 10 s, 31 s, 65 s, 310 s, 3700 s
A10MS, A200MS, A1S, A3S, A10S, A31S, A65S, A310S, A3700S = range(9)
# RESPOND codes: index into {200,200,200,400,403,408,413,415,481,501,506,401}; +0x20 also REPORTs
OK, E400, E403, E481, E401 = 0, 3, 4, 8, 11
# REQUEST methods
M_REPORT, M_NICKNAME, M_FOO_BODY, M_AUTH_VIA, M_SEND_BODILESS, M_FOO = range(6)
# RFC examples (OpSendRfc)
RFC_BASIC, RFC_ALICE, RFC_BOB, RFC_XHTML, RFC_CPIM1, RFC_CPIM2, RFC_SYSTEM, RFC_SR, RFC_REPORT, RFC_4976, \
    RFC_4976_REPORT, RFC_CHUNK1, RFC_CHUNK2, RFC_WS = range(14)


def cfg(a=0, b=0, c=0):
    return bytes([a, b, c])


def op(code, *args):
    return bytes([code, *args])


def target(actor, ext=0):
    """Target byte: low nibble PickAny(actor), high nibble the URI variant (ExternalUri(ext))."""
    return actor | (ext << 4)


def hdr(fr=1, br=0, mid=0, success=False):
    """SEND header byte: Failure-Report (0 absent, 1 yes, 2 no, 3 partial), Byte-Range mode, Message-ID."""
    return fr | (4 if success else 0) | (br << 3) | (mid << 5)


def flags(deliver=True, flag='$', extra=False, lookalike=False, bodiless=False):
    f = 1 if deliver else 0
    f |= {'$': 0, '+': 4, '#': 6}[flag]
    return f | (8 if extra else 0) | (0x10 if lookalike else 0) | (0x20 if bodiless else 0)


def length(n):
    """Length byte for a body of about n octets (0..127, then steps of 300)."""
    return n if n < 128 else min(255, 127 + n // 300)


def send(actor, shape, tgt, h=hdr(), n=20, f=flags()):
    return op(SEND, actor, shape, tgt, h, length(n), f)


def auth(actor, user, variant=0):
    return op(AUTH, actor, user, variant)


def two_clients(config=cfg()):
    return config + op(OPEN, CLIENT) + op(OPEN, CLIENT) + auth(0, 0) + auth(1, 1)


def seeds():
    s = {}
    # RFC 4975 examples between two authenticated clients, both ways, with the receivers' 200s.
    body = b''
    for i, which in enumerate([RFC_BASIC, RFC_ALICE, RFC_XHTML, RFC_CPIM1, RFC_CPIM2, RFC_SYSTEM, RFC_SR, RFC_4976]):
        body += op(SEND_RFC, 0, which, THROUGH, target(1), 1) + op(RESPOND, 1, 0, OK)
    body += op(SEND_RFC, 1, RFC_BOB, THROUGH, target(0), 1) + op(RESPOND, 0, 0, OK)
    body += op(SEND_RFC, 1, RFC_REPORT, THROUGH, target(0), 1)
    s['seed-rfc-examples'] = two_clients() + body
    # RFC 7977 and RFC 4975 §5.1 chunks, a Success-Report REPORT back (RFC 4976 §3).
    s['seed-rfc-chunks-report'] = two_clients() + op(SEND_RFC, 0, RFC_CHUNK1, THROUGH, target(1), 1) + \
        op(SEND_RFC, 0, RFC_CHUNK2, THROUGH, target(1), 1) + op(SEND_RFC, 0, RFC_WS, THROUGH, target(1), 1) + \
        op(RESPOND_ALL, 1, OK) + op(SEND_RFC, 1, RFC_4976_REPORT, THROUGH, target(0), 1)
    # A message in three chunks re-chunked at 2048 octets (outgoing_chunk_bytes), then 413 by size.
    s['seed-chunked-rechunk'] = two_clients(cfg(0x08)) + send(0, THROUGH, target(1), hdr(), 3000, flags(flag='+')) + \
        send(0, THROUGH, target(1), hdr(), 3000, flags(flag='+')) + send(0, THROUGH, target(1), hdr(), 600) + \
        op(RESPOND_ALL, 1, OK) + op(ADVANCE, A31S)
    s['seed-max-message'] = two_clients(cfg(0x20)) + send(0, THROUGH, target(1), hdr(), 3000, flags(flag='+')) + \
        send(0, THROUGH, target(1), hdr(fr=3), 1200)
    # NICKNAME and an unknown method through the relay, answered and mapped back.
    s['seed-nickname'] = two_clients() + op(REQUEST, 0, M_NICKNAME, THROUGH, target(1), 0) + op(RESPOND, 1, 0, OK) + \
        op(REQUEST, 1, M_FOO_BODY, THROUGH, target(0), 40) + op(RESPOND, 0, 0, 9) + \
        op(REQUEST, 0, M_FOO_BODY, THROUGH, target(1), 200)
    # Outbound dial to relay2 comes up; relay2 answers and sends back (C-06); AUTH through it.
    s['seed-dial-up'] = two_clients() + send(0, EXTERNAL, target(0, EXT_RELAY2_FAR)) + op(DIAL, 0, 0) + \
        op(RESPOND, 2, 0, OK) + send(2, INBOUND, target(0)) + op(RESPOND, 0, 0, OK) + \
        op(REQUEST, 1, M_AUTH_VIA, 0, target(1), 0) + op(RESPOND, 2, 0, E401) + op(REQUEST, 1, M_AUTH_VIA, 0, target(1), 0) + \
        op(RESPOND, 2, 0, OK)
    # Dials that fail: refused (REPORT 408) and certificate mismatch (403); NICKNAME gets 481.
    s['seed-dial-fail'] = two_clients() + send(0, EXTERNAL, target(0, EXT_RELAY3)) + \
        op(REQUEST, 0, M_NICKNAME, EXTERNAL, target(0, EXT_RELAY3), 0) + op(DIAL, 0, 2) + \
        send(1, EXTERNAL, target(1, EXT_V6), hdr(fr=3)) + op(DIAL, 0, 3) + \
        send(0, EXTERNAL, target(0, EXT_RELAY2)) + op(ADVANCE, A31S)
    # A relay identified by its certificate: AUTH through it (relay-bound URI, S-04), both ways.
    s['seed-relay-peer'] = two_clients() + op(OPEN, RELAY2) + auth(2, 2) + \
        send(0, THROUGH, target(2)) + op(RESPOND, 2, 0, OK) + send(2, INBOUND, target(0)) + \
        send(2, THROUGH, target(1)) + op(RESPOND_ALL, 0, OK) + op(RESPOND_ALL, 1, OK) + \
        send(1, TOKEN_ELSEWHERE, target(2, EXT_RELAY3))
    # A relay-less peer on the TCP listener (C-04): AUTH refused there, inbound SEND, and a dial to one.
    s['seed-plain-peer'] = two_clients() + op(OPEN, PLAIN) + send(2, INBOUND, target(0)) + op(RESPOND, 0, 0, OK) + \
        send(0, EXTERNAL, target(0, EXT_PLAIN)) + op(DIAL, 0, 0) + op(RESPOND, 3, 0, OK) + auth(2, 0)
    # Backpressure: tiny watermarks, the receiver stops reading, time passes (stall close).
    s['seed-backpressure'] = two_clients(cfg(0x02, 0, 0x10)) + op(STALL, 1) + \
        send(0, THROUGH, target(1), hdr(), 6000, flags(flag='+')) + send(0, THROUGH, target(1), hdr(), 6000) + \
        op(TAKE, 1, 0, 100) + op(ADVANCE, A3S) + op(STALL, 1)
    # Two senders share one receiver with re-chunking; a partial delivery keeps one open.
    s['seed-multiplex'] = two_clients(cfg(0x09)) + op(OPEN, CLIENT) + auth(2, 2) + \
        send(0, THROUGH, target(1), hdr(), 6000, flags(deliver=False)) + op(DELIVER, 0, 0x04, 0x00) + \
        send(2, THROUGH, target(1), hdr(), 3000) + op(REQUEST, 0, M_NICKNAME | 0x80, THROUGH, target(1), 0) + \
        op(DELIVER, 0, 0, 0) + op(RESPOND_ALL, 1, OK)
    # F-11: the receiver learns the downstream tid; the sender's body then holds its end-line.
    s['seed-endline-cut'] = two_clients() + send(0, THROUGH, target(1), hdr(), 3000, flags(deliver=False)) + \
        op(DELIVER, 0, 0x02, 0x00) + op(ENDLINE, 0, 1, 0) + op(ENDLINE, 0, 1, 1) + op(DELIVER, 0, 0, 0)
    # Failures: bad AUTHs (A-16 close), 423, 403 allow_users, open-relay attempts, 481 after close.
    s['seed-auth-failures'] = cfg(0x40, 0, 0x08) + op(OPEN, CLIENT) + op(OPEN, CLIENT) + auth(0, 0, 0x04) + \
        auth(0, 0, 0x03) + auth(0, 0, 0x20) + auth(0, 0x80, 0x20) + auth(1, 2) + auth(0, 1, 0x88) + \
        auth(0, 0, 0x05)
    s['seed-open-relay'] = two_clients() + op(OPEN, CLIENT) + auth(2, 2) + send(2, TOKEN_ELSEWHERE, target(0, EXT_RELAY2)) + \
        send(2, INBOUND, target(0)) + send(2, THROUGH, target(0)) + op(CLOSE, 0) + send(0, THROUGH, target(0)) + \
        send(0, RELAY_ITSELF, target(1)) + op(REQUEST, 0, M_FOO, RELAY_ITSELF, 0, 0)
    # Timeouts and expiry: no 200 from the receiver (REPORT 408), sessions expire, probation.
    s['seed-timeouts'] = two_clients(cfg(0, 0x10, 0x03)) + send(0, THROUGH, target(1)) + op(ADVANCE, A3S) + \
        op(OPEN, CLIENT) + op(ADVANCE, A10S) + op(ADVANCE, A310S) + send(0, THROUGH, target(1))
    # Drain with a chunk in flight, then reload with small limits.
    s['seed-drain-reload'] = two_clients() + op(RELOAD, 0x12, 0x05, 0x21) + \
        send(0, THROUGH, target(1), hdr(), 3000, flags(deliver=False)) + op(DELIVER, 0, 0x01, 0x00) + \
        op(DRAIN) + op(ADVANCE, A1S) + op(DELIVER, 0, 0, 0) + op(ADVANCE, A3S)
    # Raw bytes and mutations on top of a valid stream.
    s['seed-raw-mutate'] = two_clients() + send(0, THROUGH, target(1), hdr(), 30, flags(deliver=False)) + \
        op(MUTATE, 0, 0x00, 0x30, ord('X')) + op(DELIVER, 0, 0, 0) + \
        op(RAW, 1, 14) + b'MSRP abcd SEND' + op(RAW, 1, 2) + b'\r\n' + op(DELIVER, 1, 0, 0)
    return s


def regressions():
    """Inputs that reproduce engine findings of fuzz_relay (they fail until the engine is fixed)."""
    r = {}
    # A bodiless SEND, an empty-body SEND and a NICKNAME ending in '#': nothing is forwarded, the
    # SENDs still get 200 and each leaves a pending transaction that never ends (EndChunk).
    r['regression-bodiless-abort'] = two_clients() + send(0, THROUGH, target(1), hdr(fr=1), 0, flags(flag='#', bodiless=True))
    r['regression-empty-body-abort'] = two_clients() + send(0, THROUGH, target(1), hdr(fr=1), 0, flags(flag='#'))
    nickname = next(v for v in range(256) if v % 6 == M_NICKNAME and v & 0x40 and not v & 0x80)
    r['regression-nickname-abort'] = two_clients() + op(REQUEST, 0, nickname, THROUGH, target(1), 0x80)
    # A client sends to itself through its own URI (loopback), does not read, and re-chunking is
    # on: its queue passes max_queue_bytes while its own chunk is being split; the route it is
    # streaming is reset under StreamBody and NextPieceHead inserts into an empty vector (UB).
    r['regression-loopback-overflow'] = two_clients(cfg(0x09)) + op(STALL, 0) + \
        send(0, THROUGH, target(0), hdr(fr=1), 20000, flags())
    # One 20,000-octet SEND re-chunked at 2048 leaves 10 pending transactions from one source
    # with max_pending_transactions 3.
    r['regression-pieces-over-pending-cap'] = two_clients(cfg(0x18)) + send(0, THROUGH, target(1), hdr(fr=1), 20000, flags())
    # Alice stops in the middle of a chunk to relay2; bob's SEND to relay2 waits for ever.
    r['regression-stalled-stream-owner'] = two_clients() + \
        send(0, EXTERNAL, target(0, EXT_RELAY2_FAR), hdr(), 3000, flags(deliver=False)) + op(DELIVER, 0, 0x02, 0x00) + \
        op(DIAL, 0, 0) + send(1, EXTERNAL, target(1, EXT_RELAY2_FAR), hdr(), 100)
    # The body's last octets so far are the piece's own end-line: the relay's framer holds its
    # final CRLF, the F-11 scanner the rest ("CRLF -------tid#"); a 501 to bob then cuts the
    # piece, the scanner's held octets go out and with the cut's end-line form an end-line.
    r['regression-flushed-partial-endline'] = two_clients() + \
        send(0, THROUGH, target(1), hdr(), 3000, flags(deliver=False)) + op(DELIVER, 0, 0x02, 0x00) + \
        op(ENDLINE, 0, 1, 2) + op(DELIVER, 0, 0, 28) + op(REQUEST, 1, M_FOO, RELAY_ITSELF, 0, 0)
    return r


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', 'corpus', 'relay')
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.startswith('seed-'):
            os.remove(os.path.join(out, name))
    files = {**seeds(), **regressions()}
    for name, data in files.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print(f'{len(files)} seeds and regression inputs in {out}')


if __name__ == '__main__':
    main()
