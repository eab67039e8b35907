using Orleans.ZooKeeper.Client.Proto;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>The per-connection heartbeat bookkeeping the session timer drives: pings and the read timeout.</summary>
internal sealed partial class Connection
{
    /// <summary>
    /// Pings when idle; drops the connection when the server has been silent for the read timeout although
    /// something went out long enough ago to be answered; hands reading to a new thread when a continuation blocks
    /// the reader.
    /// </summary>
    public void OnTimer(long now)
    {
        CheckReaderStall(now);
        var lastReceive = Volatile.Read(ref _lastReceiveTicks);
        var firstSend = Volatile.Read(ref _firstSendAfterReceiveTicks);
        if (now - lastReceive > _readTimeoutMs && firstSend > lastReceive && now - firstSend > _readTimeoutMs / 3)
        {
            if (_transport.Available == 0)
            {
                Abort(new TimeoutException($"nothing received from the server for {_readTimeoutMs} ms (the read timeout, 2/3 of the session timeout)"));
                return;
            }

            // Bytes are waiting: the server answered, only our reader is behind.
            Volatile.Write(ref _lastReceiveTicks, now);
        }

        if (now - Volatile.Read(ref _lastSendTicks) >= _pingEveryMs)
        {
            SendPing();
        }
    }

    private void SendPing()
    {
        lock (_lock)
        {
            if (_closed || _pingOutstanding)
            {
                return;
            }

            ControlPackets.WritePing(_batch.Active);
            _pingOutstanding = true;
            _pingSentTicks = Environment.TickCount64;
            WakeWriter();
        }
    }
}
