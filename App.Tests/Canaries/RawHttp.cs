using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Dashboard.App.Tests.Canaries;

/// <summary>A response as the bytes came: status, headers (case-insensitive) and the body text.</summary>
internal sealed record RawResponse(int Status, Dictionary<string, string> Headers, string Body, bool Chunked);

/// <summary>
/// Sends a request byte for byte as Nomad's Go client does (observed-wire.md): HTTP/1.1, Host,
/// User-Agent Go-http-client/1.1, Content-Length for a body, the token, Accept-Encoding gzip, and
/// no Content-Type. HttpClient would add headers of its own, so this writes to the socket itself.
/// </summary>
internal static class RawHttp
{
    public static async Task<RawResponse> SendAsync(Uri baseAddress, string method, string pathAndQuery, string? token, string? body, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port, ct);
        await using var stream = tcp.GetStream();
        var bytes = body is null ? null : Encoding.UTF8.GetBytes(body);
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"{method} {pathAndQuery} HTTP/1.1\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Host: {baseAddress.Host}:{baseAddress.Port}\r\n");
        head.Append("User-Agent: Go-http-client/1.1\r\n");
        if (bytes is not null) head.Append(CultureInfo.InvariantCulture, $"Content-Length: {bytes.Length}\r\n");
        if (token is not null) head.Append(CultureInfo.InvariantCulture, $"X-Nomad-Token: {token}\r\n");
        head.Append("Accept-Encoding: gzip\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), ct);
        if (bytes is not null) await stream.WriteAsync(bytes, ct);
        await stream.FlushAsync(ct);
        return await ReadAsync(stream, ct);
    }

    private static async Task<RawResponse> ReadAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new List<byte>();
        var chunk = new byte[8192];
        int headerEnd;
        while ((headerEnd = IndexOf(buffer, "\r\n\r\n"u8.ToArray())) < 0)
        {
            var n = await stream.ReadAsync(chunk, ct);
            if (n == 0) throw new IOException("The connection closed before the headers ended.");
            buffer.AddRange(chunk.AsSpan(0, n).ToArray());
        }
        var lines = Encoding.ASCII.GetString([.. buffer.Take(headerEnd)]).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        var rest = buffer.Skip(headerEnd + 4).ToList();
        var chunked = headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase);
        if (headers.TryGetValue("Content-Length", out var cl))
        {
            var length = int.Parse(cl, CultureInfo.InvariantCulture);
            while (rest.Count < length)
            {
                var n = await stream.ReadAsync(chunk, ct);
                if (n == 0) break;
                rest.AddRange(chunk.AsSpan(0, n).ToArray());
            }
            return new RawResponse(status, headers, Encoding.UTF8.GetString([.. rest.Take(length)]), false);
        }
        if (!chunked) return new RawResponse(status, headers, "", false);
        var body = new List<byte>();
        while (true)
        {
            int lineEnd;
            while ((lineEnd = IndexOf(rest, "\r\n"u8.ToArray())) < 0) rest.AddRange(await MoreAsync(stream, chunk, ct));
            var size = int.Parse(Encoding.ASCII.GetString([.. rest.Take(lineEnd)]).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            rest.RemoveRange(0, lineEnd + 2);
            if (size == 0) break;
            while (rest.Count < size + 2) rest.AddRange(await MoreAsync(stream, chunk, ct));
            body.AddRange(rest.Take(size));
            rest.RemoveRange(0, size + 2);
        }
        return new RawResponse(status, headers, Encoding.UTF8.GetString([.. body]), true);
    }

    private static async Task<byte[]> MoreAsync(NetworkStream stream, byte[] chunk, CancellationToken ct)
    {
        var n = await stream.ReadAsync(chunk, ct);
        return n == 0 ? throw new IOException("The connection closed inside a chunked body.") : chunk.AsSpan(0, n).ToArray();
    }

    private static int IndexOf(List<byte> haystack, byte[] needle)
    {
        for (var i = 0; i <= haystack.Count - needle.Length; i++)
        {
            var match = true;
            for (var j = 0; j < needle.Length && match; j++) match = haystack[i + j] == needle[j];
            if (match) return i;
        }
        return -1;
    }
}
