using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Dashboard.Data.Auth;
using Dashboard.Data.Canaries;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Dashboard.Data.Cluster;

/// <summary>
/// Makes every node's in-process notifiers hear the other nodes' commits, through PostgreSQL
/// <c>LISTEN/NOTIFY</c>. What a node publishes locally (committed timeline entries, progress signals,
/// canary index writes) is relayed as a small NOTIFY after commit; every other node feeds it into its
/// own <see cref="TimelineNotifier"/>, <see cref="ProgressNotifier"/> and <see cref="CanaryIndexNotifier"/>,
/// so pages, the SignalR hub and Nomad blocking queries there wake exactly as for a local write.
/// Timeline entries travel as ids and are read back from the database by each receiving node (a NOTIFY
/// payload is limited to 8000 bytes). Nothing runs on SQLite: one node, the in-process path only.
/// See docs/decisions/0014-two-nodes-on-postgresql.md.
/// </summary>
public sealed class ClusterSignals(
    DashboardSettings settings,
    ClusterDatabase cluster,
    TimelineNotifier timeline,
    ProgressNotifier progress,
    CanaryIndexNotifier canaries,
    TokenService tokens,
    IDbContextFactory<DashboardDbContext> dbFactory,
    ILogger<ClusterSignals> logger) : BackgroundService
{
    public const string Channel = "dashboard_signals";

    // PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; stay well below with the envelope.
    private const int MaxPayload = 7000;
    private const int OutboxCapacity = 50_000;

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    // Set while a received signal is published locally, so the relays below do not send it back out.
    [ThreadStatic] private static bool t_relaying;

    private readonly Channel<Signal> _outbox = System.Threading.Channels.Channel.CreateBounded<Signal>(
        new BoundedChannelOptions(OutboxCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Channel<long[]> _remoteEntries = System.Threading.Channels.Channel.CreateUnbounded<long[]>(new() { SingleReader = true });
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<IDisposable> _relays = [];

    /// <summary>This node's name in the signals it sends; it ignores its own when they come back.</summary>
    public string NodeId { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>Completes once this node listens (at once on SQLite).</summary>
    public Task Listening => settings.UsesPostgres ? _listening.Task : Task.CompletedTask;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken);
        if (!settings.UsesPostgres) return;
        // A node that serves pages before it listens would miss the other nodes' changes.
        try { await _listening.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken); }
        catch (TimeoutException) { logger.LogWarning("Not yet listening for other nodes' changes after 30 s; carrying on."); }
    }

    // Not async itself, and the relay kept out of line: compiling a method whose state machine reaches
    // Npgsql types loads Npgsql, which must not load on SQLite (docs/BENCHMARKS.md, "Idle memory").
    protected override Task ExecuteAsync(CancellationToken ct) => settings.UsesPostgres ? RelayAsync(ct) : Task.CompletedTask;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private async Task RelayAsync(CancellationToken ct)
    {
        _relays.Add(timeline.Subscribe(entries =>
        {
            if (!t_relaying) Send(new Signal { Node = NodeId, Entries = [.. entries.Select(e => e.Id).Where(id => id > 0)] });
        }));
        _relays.Add(progress.SubscribeAll(signal =>
        {
            if (!t_relaying) Send(new Signal { Node = NodeId, Progress = [[signal.Kind, signal.SubjectId]] });
        }));
        canaries.Written += OnCanaryWrite;
        tokens.Changed += OnTokenChanged;
        try
        {
            await Task.WhenAll(SendLoopAsync(ct), ListenLoopAsync(ct), ReadEntriesLoopAsync(ct));
        }
        finally
        {
            tokens.Changed -= OnTokenChanged;
            canaries.Written -= OnCanaryWrite;
            foreach (var relay in _relays) relay.Dispose();
        }
    }

    private void OnCanaryWrite(CanaryWrite write)
    {
        if (!t_relaying) Send(new Signal { Node = NodeId, Index = write.Index, Deployments = [.. write.DeploymentIds], Jobs = [.. write.JobKeys] });
    }

    // A revoked token (or one whose policy changed) must stop working on every node, not only after their caches expire.
    private void OnTokenChanged(int id) => Send(new Signal { Node = NodeId, Tokens = [id] });

    // Called on the committing thread: only hands off.
    private void Send(Signal signal)
    {
        if (!_outbox.Writer.TryWrite(signal)) logger.LogWarning("Cluster signal outbox closed; a change will not show on other nodes live.");
    }

    private async Task SendLoopAsync(CancellationToken ct)
    {
        var pending = new List<Signal>();
        while (await WaitAsync(_outbox.Reader, ct))
        {
            pending.Clear();
            while (pending.Count < 1000 && _outbox.Reader.TryRead(out var signal)) pending.Add(signal);
            var payloads = Payloads(pending);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await using var connection = await cluster.DataSource.OpenConnectionAsync(ct);
                    await using var batch = connection.CreateBatch();
                    foreach (var payload in payloads)
                    {
                        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_notify($1, $2)")
                        {
                            Parameters = { new() { Value = Channel }, new() { Value = payload } },
                        });
                    }
                    await batch.ExecuteNonQueryAsync(ct);
                    break;
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException && attempt < 5)
                {
                    logger.LogWarning(ex, "Sending {Count} cluster signal(s) failed (attempt {Attempt}); retrying", payloads.Count, attempt);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct);
                }
            }
        }
    }

    /// <summary>Merges what was pending into as few NOTIFY payloads as fit, in order per kind.</summary>
    internal List<string> Payloads(IReadOnlyList<Signal> signals)
    {
        var payloads = new List<string>();
        var entries = signals.Where(s => s.Entries is not null).SelectMany(s => s.Entries!).ToArray();
        // Ids are at most 19 digits and a comma: 300 of them always fit.
        foreach (var chunk in entries.Chunk(300)) payloads.Add(JsonSerializer.Serialize(new Signal { Node = NodeId, Entries = chunk }, Json));

        var progressSignals = signals.Where(s => s.Progress is not null).SelectMany(s => s.Progress!)
            .Select(p => (Kind: p[0], Id: p[1])).Distinct().Select(p => new[] { p.Kind, p.Id }).ToList();
        AddChunked(payloads, progressSignals, chunk => new Signal { Node = NodeId, Progress = chunk });

        var tokenIds = signals.Where(s => s.Tokens is not null).SelectMany(s => s.Tokens!).Distinct().ToArray();
        // Ids are at most 10 digits and a comma: 500 of them always fit.
        foreach (var chunk in tokenIds.Chunk(500)) payloads.Add(JsonSerializer.Serialize(new Signal { Node = NodeId, Tokens = chunk }, Json));

        foreach (var write in signals.Where(s => s.Index is not null))
        {
            // A write that touched many subjects goes as several signals with the same index: a
            // waiter is relevant to the part naming its subject.
            var keys = write.Deployments!.Select(d => ("d", d)).Concat(write.Jobs!.Select(j => ("j", j))).ToList();
            AddChunked(payloads, keys, chunk => new Signal
            {
                Node = NodeId, Index = write.Index,
                Deployments = [.. chunk.Where(k => k.Item1 == "d").Select(k => k.Item2)],
                Jobs = [.. chunk.Where(k => k.Item1 == "j").Select(k => k.Item2)],
            });
        }
        return payloads;
    }

    private static void AddChunked<T>(List<string> payloads, IReadOnlyList<T> items, Func<T[], Signal> signal)
    {
        var start = 0;
        while (start < items.Count)
        {
            // Halve until the payload fits; subject ids are short, so this rarely loops.
            var take = Math.Min(items.Count - start, 200);
            string payload;
            while ((payload = JsonSerializer.Serialize(signal([.. items.Skip(start).Take(take)]), Json)).Length > MaxPayload && take > 1) take /= 2;
            payloads.Add(payload);
            start += take;
        }
    }

    private async Task ListenLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await cluster.DataSource.OpenConnectionAsync(ct);
                connection.Notification += (_, e) => Received(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection)) await listen.ExecuteNonQueryAsync(ct);
                _listening.TrySetResult();
                while (true) await connection.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.IO.IOException)
            {
                // Signals sent while this node was not listening are lost; its pages catch up on their next query.
                logger.LogWarning(ex, "Listening for other nodes' changes failed; listening again");
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    private void Received(string payload)
    {
        Signal? signal;
        try { signal = JsonSerializer.Deserialize<Signal>(payload, Json); }
        catch (JsonException ex)
        {
            logger.LogWarning(ex, "Ignoring a malformed cluster signal");
            return;
        }
        if (signal is null || signal.Node == NodeId) return;
        if (signal.Entries is { Length: > 0 } ids) _remoteEntries.Writer.TryWrite(ids);
        foreach (var token in signal.Tokens ?? []) tokens.Forget(token);
        t_relaying = true;
        try
        {
            foreach (var pair in signal.Progress ?? [])
            {
                if (pair.Length == 2) progress.Notify(pair[0], pair[1]);
            }
            if (signal.Index is { } index)
                canaries.Publish(new CanaryWrite(index, (signal.Deployments ?? []).ToHashSet(), (signal.Jobs ?? []).ToHashSet()));
        }
        finally
        {
            t_relaying = false;
        }
    }

    private async Task ReadEntriesLoopAsync(CancellationToken ct)
    {
        while (await WaitAsync(_remoteEntries.Reader, ct))
        {
            var ids = new List<long>();
            while (ids.Count < 2000 && _remoteEntries.Reader.TryRead(out var more)) ids.AddRange(more);
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                var entries = await db.Timeline.AsNoTracking().Where(e => ids.Contains(e.Id)).OrderBy(e => e.Id).ToListAsync(ct);
                t_relaying = true;
                try { timeline.Publish(entries); }
                finally { t_relaying = false; }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Reading {Count} timeline entries another node committed failed", ids.Count);
            }
        }
    }

    private static async Task<bool> WaitAsync<T>(ChannelReader<T> reader, CancellationToken ct)
    {
        try { return await reader.WaitToReadAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>One NOTIFY payload; short names, since each payload is limited to 8000 bytes.</summary>
    internal sealed class Signal
    {
        [JsonPropertyName("n")] public required string Node { get; init; }
        [JsonPropertyName("t")] public long[]? Entries { get; init; }
        [JsonPropertyName("p")] public string[][]? Progress { get; init; }
        [JsonPropertyName("i")] public long? Index { get; init; }
        [JsonPropertyName("d")] public string[]? Deployments { get; init; }
        [JsonPropertyName("j")] public string[]? Jobs { get; init; }
        [JsonPropertyName("k")] public int[]? Tokens { get; init; }
    }
}
