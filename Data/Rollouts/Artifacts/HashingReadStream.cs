using System.Buffers;
using System.Security.Cryptography;

namespace Dashboard.Data.Rollouts.Artifacts;

/// <summary>
/// A read-only pass-through that hashes (SHA-256) and counts every byte read, so checksums are verified
/// while the data streams by; optionally it also writes every byte read to <paramref name="copy"/>.
/// </summary>
internal sealed class HashingReadStream(Stream inner, bool hash = true, Stream? copy = null) : Stream
{
    private readonly IncrementalHash? _hash = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;

    public long BytesRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Append(buffer[..read]);
        copy?.Write(buffer[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        Append(buffer.Span[..read]);
        if (copy is not null && read > 0) await copy.WriteAsync(buffer[..read], cancellationToken);
        return read;
    }

    /// <summary>Reads what is left, so the hash and the count cover the whole stream.</summary>
    public Task DrainAsync(CancellationToken ct) => DrainAsync(this, ct);

    /// <summary>Lower-case hex of the SHA-256 of everything read so far; call once, at the end.</summary>
    /// <remarks>
    /// Disposing the stream leaves the hash alone, because decompressors that own their base stream
    /// (SharpCompress's XZStream) dispose it before the caller asks for the hash.
    /// </remarks>
    public string HashHex()
    {
        var hash = _hash ?? throw new InvalidOperationException("This stream only counts.");
        using (hash) return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    internal static async Task DrainAsync(Stream stream, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            while (await stream.ReadAsync(buffer, ct) > 0) { }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        _hash?.AppendData(data);
        BytesRead += data.Length;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
