// Per-worker TCP counters, named after Linux's nstat Tcp/TcpExt counters where
// one exists so operators can search for them. One writer (the worker).
#pragma once

#include <cstdint>

namespace tcpterm::tcp {

#define TCPTERM_TCP_COUNTERS(X)                                                          \
    X(InSegs, "segments received")                                                       \
    X(OutSegs, "segments sent, retransmissions included")                                \
    X(RetransSegs, "segments retransmitted")                                             \
    X(InErrs, "segments dropped as malformed (header, options)")                         \
    X(InCsumErrors, "segments with a bad TCP checksum")                                  \
    X(TCPBadOptions, "segments with malformed options (also in InErrs)")                 \
    X(OutRsts, "RST segments sent")                                                      \
    X(InRsts, "RST segments that reset a connection")                                    \
    X(TCPNoListener, "segments for a port with no listener or connection (answered by RST)") \
    X(ActiveOpens, "connections opened by us (SYN sent)")                                \
    X(TCPNoEphemeralPort, "connects that found no free local port for the 4-tuple")       \
    X(PassiveOpens, "connections accepted from a SYN (SYN-ACK sent)")                    \
    X(AttemptFails, "SYN_SENT/SYN_RECEIVED connections that failed")                     \
    X(TCPConnectTimeouts, "connects given a timeout that ran out in SYN_SENT")           \
    X(EstabResets, "ESTABLISHED/CLOSE_WAIT connections reset")                           \
    X(CurrEstab, "connections now in ESTABLISHED or CLOSE_WAIT (gauge)")                 \
    X(CurrConnections, "connection table entries in use (gauge)")                        \
    X(SynsReceived, "SYNs that reached a listener")                                     \
    X(SyncookiesSent, "SYN-ACKs sent with a SYN cookie (no state kept)")                 \
    X(SyncookiesRecv, "ACKs with a valid SYN cookie (connection created)")               \
    X(SyncookiesFailed, "ACKs at a listener with an invalid or expired cookie (dropped)") \
    X(ListenOverflows, "handshake ACKs ignored (or reset) because the accept queue was full") \
    X(ListenDrops, "SYNs dropped at a listener for any reason")                          \
    X(TCPReqQFullDrop, "SYNs dropped because the listener's SYN queue was full")         \
    X(TCPForeignRejected, "SYNs refused by a listener's foreign-address restriction")     \
    X(TCPFinWait2Timeouts, "orphaned FIN_WAIT_2 connections closed by the FIN timeout")   \
    X(TCPConnTableFull, "SYNs dropped because the connection table was full")           \
    X(TCPSynAckRetransFail, "SYN_RECEIVED entries dropped after the last SYN-ACK retry")  \
    X(TCPTimeouts, "retransmission timer expiries")                                      \
    X(TCPAbortOnTimeout, "connections aborted after the retransmission limit")          \
    X(TCPAbortOnUserTimeout, "connections aborted because data stayed unacknowledged past the user timeout (RFC 5482)") \
    X(TCPUserTimeoutReceived, "peers' User Timeout options honoured (RFC 5482)")         \
    X(TCPAbortOnData, "connections reset because data arrived after close()")           \
    X(TCPAbortOnClose, "connections reset because close() left unread data")            \
    X(TCPAbortByService, "connections reset by the service (abort)")                     \
    X(TCPAbortOnShutdown, "connections reset at stop (SIGINT/SIGTERM) because their service had not finished: handshake, ESTABLISHED, still reading, or data unacknowledged") \
    X(TCPFinOnShutdown, "connections whose FIN was (re)sent at stop: the service had closed and the peer had every byte") \
    X(TCPTimeWaitOnShutdown, "TIME_WAIT entries dropped at stop")                       \
    X(TCPKeepAlive, "keepalive probes sent")                                             \
    X(TCPAbortOnKeepalive, "connections aborted after unanswered keepalive probes")      \
    X(TCPFastRetrans, "segments retransmitted in fast recovery")                         \
    X(TCPSlowStartRetrans, "segments retransmitted in slow start after an RTO")           \
    X(TCPLostRetransmit, "retransmissions found lost and sent again (RACK)")              \
    X(TCPRenoRecovery, "loss recoveries entered on three duplicate ACKs (no SACK)")        \
    X(TCPSACKReorder, "connections that saw the network reorder their segments (RACK widens its window)") \
    X(TCPDSACKRecv, "D-SACKs received: the peer got a segment twice (RFC 2883)")          \
    X(TCPDSACKUndo, "fast recoveries undone: D-SACKs showed every retransmission needless") \
    X(TCPLossUndo, "RTO recoveries undone: D-SACKs showed every retransmission needless") \
    X(TCPDSACKOldSent, "D-SACKs sent for duplicate segments below RCV.NXT")               \
    X(TCPLossProbes, "tail loss probes sent (RFC 8985 TLP)")                             \
    X(TCPSackRecovery, "fast recoveries entered on SACK information (RACK)")             \
    X(TCPSACKRetrans, "segments retransmitted in fast recovery on SACK information")      \
    X(TCPWinProbe, "zero-window probes sent")                                            \
    X(CurrOrphans, "connections closed by their service and still ending (gauge)")      \
    X(TCPAbortOnIdle, "connections reset by their listener's idle_timeout")               \
    X(TCPPerSourceRejected, "SYNs and cookie ACKs refused: the peer address holds max_per_source connections on the listener") \
    X(TCPOFOAcks, "ACKs sent at once, one per segment, while data is out of order (RFC 5681 4.2)") \
    X(TCPAckCompressed, "duplicate ACKs beyond the third for one RCV.NXT folded into the ACK at the end of the burst (Linux SACK compression)") \
    X(DelayedACKs, "delayed ACKs sent when their timer ran out (tcp.delayed_ack_ms)")     \
    X(TCPOFOQueue, "out-of-order segments held for reassembly")                          \
    X(TCPOFODrop, "out-of-order segments dropped (duplicate, or the queue was full)")   \
    X(TCPOFOMerge, "held out-of-order segments delivered once the hole filled")          \
    X(TCPSACKBlocksSent, "ACKs sent with SACK blocks (RFC 2018)")                        \
    X(TCPECNNegotiated, "connections that agreed to use ECN (RFC 3168)")                 \
    X(TCPAOGood, "segments with a valid TCP-AO MAC (RFC 5925)")                            \
    X(TCPAOBad, "segments dropped: TCP-AO MAC wrong")                                     \
    X(TCPAOKeyNotFound, "segments dropped: TCP-AO KeyID unknown, or AO from a peer without a key") \
    X(TCPAORequired, "segments dropped: no TCP-AO from a peer that has a key")            \
    X(InCEPkts, "segments received with the IPv4 CE mark on ECN connections")           \
    X(TCPECNCwndReduced, "congestion window reductions on the peer's ECN-Echo")           \
    X(TCPRcvWndTrimmed, "segment bytes beyond the receive window, trimmed")              \
    X(TCPRcvQDrop, "in-order segments dropped: the connection's or worker's receive memory was full") \
    X(TCPRcvBufGrown, "receive buffers grown by autotuning (tcp.rcvbuf_max)")              \
    X(TCPRcvCoalesce, "in-order segments copied into the tail buffer of the receive queue") \
    X(OfoPruned, "out-of-order queues dropped to free memory")                          \
    X(PruneCalled, "times the worker reclaimed memory at its hard limit (tcp.mem_high)") \
    X(TCPMemoryPressures, "times the worker entered memory pressure (tcp.mem_pressure)")  \
    X(TCPMemoryPressuresChrono, "milliseconds spent under memory pressure (ended episodes)") \
    X(TCPAbortOnMemory, "connections reset to free memory at the hard limit (largest holders first)") \
    X(TCPMemoryMbufs, "mbufs held in connection queues: receive, out-of-order, send (gauge)") \
    X(TCPSeqOutOfWindow, "segments failing the sequence acceptability test (ACKed)")     \
    X(TCPAckTooNew, "segments acknowledging data not yet sent (ACKed, dropped)")         \
    X(TCPAckTooOld, "segments with ACK below SND.UNA-MAX.SND.WND (RFC 5961 5.2)")         \
    X(TCPChallengeACK, "challenge ACKs sent (RFC 5961)")                                 \
    X(TCPChallengeACKLimited, "challenge ACKs suppressed by the worker's random per-second budget") \
    X(TCPACKSkippedChallenge, "challenge ACKs suppressed by the per-connection limit (tcp.invalid_ratelimit_ms)") \
    X(TCPACKSkippedSeq, "ACKs to out-of-window segments suppressed by the per-connection limit") \
    X(TCPACKSkippedPAWS, "ACKs to PAWS-rejected segments suppressed by the per-connection limit") \
    X(TCPBadFlags, "segments dropped for an illegal flag combination (SYN with FIN or RST)") \
    X(TCPAckMissing, "segments without ACK in a synchronized state (dropped)")          \
    X(TCPRstOutOfWindow, "RSTs outside the receive window (dropped)")                    \
    X(TCPRstInWindow, "RSTs in the window but not at RCV.NXT (challenged, dropped; RFC 5961 §3)") \
    X(TCPSYNChallenge, "SYNs on a synchronized connection (challenged whatever their sequence number, dropped; RFC 5961 §4)") \
    X(TCPListenIgnored, "segments at a listener without SYN or ACK, or with RST (dropped)") \
    X(TCPSynSentIgnored, "segments in SYN_SENT that were neither a SYN nor a RST acknowledging our SYN (dropped)") \
    X(TCPNoListenerSilent, "RSTs and TCP-AO segments for no connection (dropped without an answer)") \
    X(PAWSNoTimestamp, "segments without a timestamp on a timestamped connection (dropped; RFC 7323 §3.2)") \
    X(TCPTimeWaitSynDropped, "SYNs for a TIME_WAIT tuple that were not newer (dropped; RFC 6191)") \
    X(PAWSEstab, "segments rejected by PAWS (RFC 7323 5.3)")                            \
    X(TCPTimeWaitEntered, "connections that entered TIME_WAIT")                          \
    X(TCPEndDeferred, "connections whose end waited for their service to read what they had received") \
    X(TCPTimeWaitExpired, "TIME_WAIT entries that ended after 2MSL")                     \
    X(TWRecycled, "TIME_WAIT entries reused by a new SYN: the peer's, or our connect's (tcp.tw_reuse)") \
    X(PAWSActive, "SYN-ACKs older than the TIME_WAIT entry a connect reused (PAWS, dropped)") \
    X(TCPTimeWaitOverflow, "connections closed without TIME_WAIT because its table was full") \
    X(CurrTimeWait, "TIME_WAIT entries now (gauge)")                                     \
    X(TCPTimeWaitRstIgnored, "RSTs ignored in TIME_WAIT (RFC 1337)")                     \
    X(TCPSendAllocFail, "segments not sent because no mbuf was free")                     \
    X(TCPSndBufGrown, "send buffers grown by autotuning (tcp.sndbuf_max)")                \
    X(TCPTSOFrames, "frames the port segments (TSO); OutSegs counts their segments")

struct Counters {
#define TCPTERM_DECLARE(name, help) uint64_t name = 0;
    TCPTERM_TCP_COUNTERS(TCPTERM_DECLARE)
#undef TCPTERM_DECLARE
};

}  // namespace tcpterm::tcp
