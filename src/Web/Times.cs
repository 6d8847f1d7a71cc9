using System.Globalization;
using Microsoft.AspNetCore.Html;

namespace Catalyst.Web;

/// <summary>How a page shows a moment: the exact time in UTC, with the same on hover; site.js turns it into "3 min ago" and the hover into the reader's own zone.</summary>
public static class Times
{
    public static IHtmlContent Relative(DateTimeOffset at, string format = "yyyy-MM-dd HH:mm")
    {
        var utc = at.UtcDateTime;
        return new HtmlString($"<time datetime=\"{at.ToString("O", CultureInfo.InvariantCulture)}\" title=\"{utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC\" " +
                              $"data-relative>{utc.ToString(format, CultureInfo.InvariantCulture)} UTC</time>");
    }
}
