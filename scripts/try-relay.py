#!/usr/bin/env python3
"""Try msrp-relay by hand: two MSRP clients authenticate (RFC 4976 AUTH, HTTP Digest) over TLS,
then client A sends a message to client B through the relay; B checks every byte (SHA-256)
and answers each chunk with 200 OK, as an endpoint does. Python standard library only.

  python3 scripts/try-relay.py --port 2855 --user demo --password PASS [--size 1073741824]
"""
import argparse, hashlib, os, re, socket, ssl, sys, threading, time


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


class Client:
    def __init__(self, args, name):
        ctx = ssl.create_default_context(cafile=args.cafile) if args.cafile else ssl._create_unverified_context()
        if args.cafile:
            ctx.check_hostname = True
        raw = socket.create_connection((args.host, args.port))
        self.sock = ctx.wrap_socket(raw, server_hostname=args.relay_host)
        self.buf = bytearray()
        self.uri = "msrps://%s.invalid:2855/%s;tcp" % (name, os.urandom(6).hex())
        self.relay_host = args.relay_host

    def read_frame(self):
        """Returns (start line, headers dict, body bytes, flag). Scans each byte once."""
        scan_from = 0
        while True:
            m = re.match(rb"MSRP (\S+) [^\r\n]*\r\n", self.buf)
            if m:
                marker = b"-------" + m.group(1)
                i = self.buf.find(marker, max(scan_from, m.end()))
                while i != -1:
                    tail = self.buf[i + len(marker):i + len(marker) + 3]
                    if len(tail) < 3:
                        break
                    if tail[0:1] in (b"$", b"#", b"+") and tail[1:] == b"\r\n":
                        frame = bytes(self.buf[:i + len(marker) + 3])
                        del self.buf[:i + len(marker) + 3]
                        head, _, body = frame[:i].partition(b"\r\n\r\n")
                        body = body[:-2] if body else b""
                        lines = head.decode("latin1").split("\r\n")
                        headers = {}
                        for line in lines[1:]:
                            if ": " in line:
                                k, v = line.split(": ", 1)
                                headers[k] = v
                        return lines[0], headers, body, tail[0:1].decode()
                    i = self.buf.find(marker, i + 1)
                scan_from = max(0, len(self.buf) - len(marker) - 3)
            data = self.sock.recv(1 << 20)
            if not data:
                raise ConnectionError("relay closed the connection")
            self.buf += data

    def auth(self, user, password):
        to = "msrps://%s;tcp" % self.relay_host
        self.sock.sendall(("MSRP auth0001 AUTH\r\nTo-Path: %s\r\nFrom-Path: %s\r\n-------auth0001$\r\n"
                           % (to, self.uri)).encode())
        start, headers, _, _ = self.read_frame()
        if " 401 " not in start + " ":
            sys.exit("expected a 401 challenge, got: " + start)
        challenge = headers["WWW-Authenticate"]
        realm = re.search(r'realm="([^"]*)"', challenge).group(1)
        nonce = re.search(r'nonce="([^"]*)"', challenge).group(1)
        opaque = re.search(r'opaque="([^"]*)"', challenge).group(1)
        cnonce = os.urandom(8).hex()
        ha1 = md5("%s:%s:%s" % (user, realm, password))
        response = md5("%s:%s:00000001:%s:auth:%s" % (ha1, nonce, cnonce, md5("AUTH:" + to)))
        self.sock.sendall((
            "MSRP auth0002 AUTH\r\nTo-Path: %s\r\nFrom-Path: %s\r\nAuthorization: Digest username=\"%s\", "
            "realm=\"%s\", nonce=\"%s\", qop=auth, nc=00000001, cnonce=\"%s\", response=\"%s\", opaque=\"%s\"\r\n"
            "-------auth0002$\r\n" % (to, self.uri, user, realm, nonce, cnonce, response, opaque)).encode())
        start, headers, _, _ = self.read_frame()
        if not start.endswith("200 OK"):
            sys.exit("AUTH failed for %s: %s" % (user, start))
        self.use_path = headers["Use-Path"]
        print("%s authenticated: Use-Path %s, Expires %s" % (user, self.use_path, headers.get("Expires")))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2855)
    p.add_argument("--relay-host", default="localhost", help="relay.hostname from the config")
    p.add_argument("--cafile", default="run/tls/relay.crt" if os.path.exists("run/tls/relay.crt") else None)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--user-b")
    p.add_argument("--password-b")
    p.add_argument("--size", type=int, default=64, help="message size in bytes")
    p.add_argument("--chunk", type=int, default=1 << 20, help="chunk size in bytes")
    args = p.parse_args()

    a, b = Client(args, "alice"), Client(args, "bob")
    a.auth(args.user, args.password)
    b.auth(args.user_b or args.user, args.password_b or args.password)

    chunks = max(1, (args.size + args.chunk - 1) // args.chunk)
    result = {}

    def receive():
        digest, got = hashlib.sha256(), 0
        while got < args.size or args.size == 0:
            start, headers, body, flag = b.read_frame()
            tid = start.split()[1]
            b.sock.sendall(("MSRP %s 200 OK\r\nTo-Path: %s\r\nFrom-Path: %s\r\n-------%s$\r\n"
                            % (tid, headers["From-Path"].split()[0], b.uri, tid)).encode())
            digest.update(body)
            got += len(body)
            if flag == "$":
                break
        result["got"], result["sha"] = got, digest.hexdigest()

    receiver = threading.Thread(target=receive)
    receiver.start()
    sent_digest = hashlib.sha256()
    block = os.urandom(min(args.chunk, max(args.size, 1)))
    began = time.monotonic()
    oks = 0
    for i in range(chunks):
        first = i * args.chunk + 1
        n = min(args.chunk, args.size - i * args.chunk)
        body = block[:n]
        sent_digest.update(body)
        tid = "c%07d" % i
        flag = "$" if i == chunks - 1 else "+"
        a.sock.sendall((
            "MSRP %s SEND\r\nTo-Path: %s %s %s\r\nFrom-Path: %s\r\nMessage-ID: try1\r\nByte-Range: %d-%d/%d\r\n"
            "Content-Type: application/octet-stream\r\n\r\n" % (tid, a.use_path, b.use_path, b.uri, a.uri, first,
                                                              first + n - 1, args.size)).encode())
        a.sock.sendall(body)
        a.sock.sendall(("\r\n-------%s%s\r\n" % (tid, flag)).encode())
    while oks < chunks:
        start, _, _, _ = a.read_frame()
        if " 200 " in start + " ":
            oks += 1
    receiver.join()
    elapsed = time.monotonic() - began
    ok = result.get("got") == args.size and result.get("sha") == sent_digest.hexdigest()
    print("sent %d bytes in %d chunk(s) in %.2f s (%.1f MB/s): %s" % (
        args.size, chunks, elapsed, args.size / elapsed / 1e6 if elapsed else 0,
        "delivered intact" if ok else "MISMATCH"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
