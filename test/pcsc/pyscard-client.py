#!/usr/bin/python3
"""A PC/SC client for sscard's PC/SC tests and benchmarks: talks to a reader through pcscd with
pyscard (python3-pyscard, so run it with /usr/bin/python3) and prints one JSON object.

  pyscard-client.py --reader 'Virtual PCD 00 00' [--wait present|empty] [--timeout S]
                    [--apdu HEX]... [--repeat N] [--reconnect reset|unpower] [--protocol T0|T1|any]

--wait empty only waits for the reader to be empty and connects to nothing. Otherwise the client
waits (bounded by --timeout) for a card, connects shared, sends each --apdu in order and records
the responses; with --repeat N it then sends the first APDU N more times and reports per-APDU
round-trip times. --reconnect resets (or unpowers) the card after the APDUs and reports the ATR
seen afterwards. Errors come out as {"error": ..., "code": "0x8010xxxx"} with exit status 1.
"""
import argparse
import json
import sys
import time

from smartcard import scard


class PcscFailure(Exception):
    def __init__(self, what, rc):
        super().__init__(f"{what}: {scard.SCardGetErrorMessage(rc)}")
        self.rc = rc


def check(what, rc):
    if rc != scard.SCARD_S_SUCCESS:
        raise PcscFailure(what, rc)


def wait_state(ctx, reader, want_present, timeout_s):
    """Waits until the reader has (or has no) card; bounded by timeout_s."""
    deadline = time.monotonic() + timeout_s
    state = scard.SCARD_STATE_UNAWARE
    while True:
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            raise PcscFailure(f"reader {reader!r} not {'present' if want_present else 'empty'} "
                              f"within {timeout_s} s", scard.SCARD_E_TIMEOUT)
        rc, states = scard.SCardGetStatusChange(ctx, min(left_ms, 500), [(reader, state)])
        if rc == scard.SCARD_E_TIMEOUT:
            continue
        check("SCardGetStatusChange", rc)
        _, event_state, _ = states[0]
        present = bool(event_state & scard.SCARD_STATE_PRESENT)
        # A card that is present but still being powered up by pcscd is not usable yet.
        mute = bool(event_state & scard.SCARD_STATE_MUTE)
        if present == want_present and not (want_present and mute):
            return
        state = event_state & ~scard.SCARD_STATE_CHANGED


def transmit(card, pci, apdu):
    rc, response = scard.SCardTransmit(card, pci, apdu)
    check("SCardTransmit", rc)
    return bytes(response)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reader", required=True)
    ap.add_argument("--wait", choices=["present", "empty"], default="present")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--apdu", action="append", default=[])
    ap.add_argument("--repeat", type=int, default=0)
    ap.add_argument("--reconnect", choices=["reset", "unpower"])
    ap.add_argument("--protocol", choices=["T0", "T1", "any"], default="any")
    args = ap.parse_args()

    out = {"reader": args.reader}
    rc, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    check("SCardEstablishContext", rc)
    card = None
    try:
        rc, readers = scard.SCardListReaders(ctx, [])
        check("SCardListReaders", rc)
        if args.reader not in readers:
            raise PcscFailure(f"no reader {args.reader!r} (readers: {readers})", scard.SCARD_E_UNKNOWN_READER)
        if args.wait == "empty":
            wait_state(ctx, args.reader, False, args.timeout)
            out["state"] = "empty"
            print(json.dumps(out))
            return 0
        wait_state(ctx, args.reader, True, args.timeout)
        mask = {"T0": scard.SCARD_PROTOCOL_T0, "T1": scard.SCARD_PROTOCOL_T1,
                "any": scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1}[args.protocol]
        t0 = time.perf_counter_ns()
        rc, card, protocol = scard.SCardConnect(ctx, args.reader, scard.SCARD_SHARE_SHARED, mask)
        check("SCardConnect", rc)
        out["connectMs"] = (time.perf_counter_ns() - t0) / 1e6
        pci = scard.SCARD_PCI_T0 if protocol == scard.SCARD_PROTOCOL_T0 else scard.SCARD_PCI_T1
        out["protocol"] = "T=0" if protocol == scard.SCARD_PROTOCOL_T0 else "T=1"
        rc, _name, _state, _proto, atr = scard.SCardStatus(card)
        check("SCardStatus", rc)
        out["atr"] = bytes(atr).hex().upper()
        apdus = [list(bytes.fromhex(a)) for a in args.apdu]
        out["responses"] = [transmit(card, pci, a).hex().upper() for a in apdus]
        if args.repeat > 0 and apdus:
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter_ns()
                transmit(card, pci, apdus[0])
                times.append((time.perf_counter_ns() - t) / 1e6)
            times.sort()
            out["timing"] = {
                "n": len(times),
                "medianMs": times[len(times) // 2],
                "p99Ms": times[min(len(times) - 1, (len(times) * 99) // 100)],
                "minMs": times[0],
                "maxMs": times[-1],
            }
        if args.reconnect:
            init = scard.SCARD_RESET_CARD if args.reconnect == "reset" else scard.SCARD_UNPOWER_CARD
            rc, protocol = scard.SCardReconnect(card, scard.SCARD_SHARE_SHARED, mask, init)
            check("SCardReconnect", rc)
            rc, _name, _state, _proto, atr = scard.SCardStatus(card)
            check("SCardStatus", rc)
            out["atrAfterReconnect"] = bytes(atr).hex().upper()
            if apdus:
                out["responseAfterReconnect"] = transmit(card, pci, apdus[0]).hex().upper()
        print(json.dumps(out))
        return 0
    except PcscFailure as e:
        out["error"] = str(e)
        out["code"] = f"0x{e.rc & 0xFFFFFFFF:08X}"
        print(json.dumps(out))
        return 1
    finally:
        if card is not None:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
        scard.SCardReleaseContext(ctx)


if __name__ == "__main__":
    sys.exit(main())
