using System.Net;

namespace Dashboard.MenderFleet;

/// <summary>A request body of unknown length, so HttpClient sends it chunked, as the Mender daemon's local proxy does for every body but auth.</summary>
internal sealed class ChunkedContent : HttpContent
{
    private readonly byte[] _body;

    public ChunkedContent(byte[] body, string contentType = "application/json")
    {
        _body = body;
        Headers.ContentType = new(contentType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_body).AsTask();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.WriteAsync(_body, cancellationToken).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
