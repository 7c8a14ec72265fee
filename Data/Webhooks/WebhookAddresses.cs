using System.Net;
using System.Net.Sockets;

namespace Dashboard.Data.Webhooks;

public sealed class WebhookSettings
{
    public const string Section = "Dashboard:Webhooks";

    /// <summary>
    /// Whether webhooks may reach loopback, link-local and private addresses. Off by default: an
    /// administrator's URL must not turn the dashboard into a way into its own network (a cloud
    /// metadata service, a database's HTTP port). On for a dashboard whose receivers are on its LAN.
    /// </summary>
    public bool AllowPrivateAddresses { get; set; }
}

/// <summary>
/// Keeps webhooks to public addresses (unless <see cref="WebhookSettings.AllowPrivateAddresses"/>):
/// checked when a webhook is registered, for a clear error in the form and the API, and again on every
/// connection a delivery makes, because a name can resolve elsewhere later.
/// </summary>
public sealed class WebhookAddresses(WebhookSettings settings)
{
    public bool AllowPrivate => settings.AllowPrivateAddresses;

    /// <summary>Loopback, link-local, private (RFC 1918, unique local, carrier-grade NAT), unspecified or multicast.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return true;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast
                || address.Equals(IPAddress.IPv6None) || address.Equals(IPAddress.IPv6Any);
        }
        var b = address.GetAddressBytes();
        return b[0] switch
        {
            0 or 10 or 127 => true,
            100 => b[1] is >= 64 and < 128,
            169 => b[1] == 254,
            172 => b[1] is >= 16 and < 32,
            192 => b[1] == 168,
            >= 224 => true,
            _ => false,
        };
    }

    /// <summary>The refusal, worded for the person who typed the URL; null when the addresses are allowed.</summary>
    public string? Refusal(string host, IReadOnlyCollection<IPAddress> addresses) =>
        AllowPrivate || !addresses.Any(IsPrivate)
            ? null
            : $"{host} is a loopback, link-local or private address ({addresses.First(IsPrivate)}); webhooks may only reach public addresses "
              + $"unless the dashboard is configured with {WebhookSettings.Section}:AllowPrivateAddresses=true.";

    /// <exception cref="ValidationException">The URL's host is or resolves to an address that is not allowed, or does not resolve.</exception>
    public async Task CheckAsync(Uri url, CancellationToken ct)
    {
        if (AllowPrivate) return;
        var host = url.IdnHost;
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal)) addresses = [literal];
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, ct);
            }
            catch (SocketException)
            {
                throw new ValidationException("url", $"The host {url.Host} does not resolve.");
            }
        }
        if (Refusal(url.Host, addresses) is { } refusal) throw new ValidationException("url", refusal);
    }

    /// <summary>
    /// The sender's connect step: resolves the host and connects only when every address is allowed,
    /// so a name that resolves to a private address after registration is refused at delivery.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(endPoint.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(endPoint.Host, ct);
        if (Refusal(endPoint.Host, addresses) is { } refusal) throw new HttpRequestException(refusal);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
