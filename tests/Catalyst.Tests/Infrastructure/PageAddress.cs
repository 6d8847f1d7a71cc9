using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Catalyst.Tests.Infrastructure;

/// <summary>
/// Waits for the page to be at an address, without the race <see cref="IPage.WaitForURLAsync(string, PageWaitForURLOptions?)"/>
/// has after a click: it reads the address it knows, and when that is not yet the new one it waits for the next
/// navigation; a navigation whose event it handles between the two is missed, and the wait runs out on a page that is
/// where it should be (a clean-clone run timed out so on /settings/agents, "document complete"). Waiting again in
/// shorter turns reads the address afresh each turn, so such a navigation is seen on the next.
/// </summary>
public static class PageAddress
{
    private const int Turns = 3;

    public static Task WaitForAddressAsync(this IPage page, string glob, PageWaitForURLOptions? options = null) =>
        InTurns(turn => page.WaitForURLAsync(glob, turn), options);

    public static Task WaitForAddressAsync(this IPage page, Regex pattern, PageWaitForURLOptions? options = null) =>
        InTurns(turn => page.WaitForURLAsync(pattern, turn), options);

    private static async Task InTurns(Func<PageWaitForURLOptions, Task> wait, PageWaitForURLOptions? options)
    {
        var turn = new PageWaitForURLOptions(options ?? new()) { Timeout = (options?.Timeout ?? 30_000) / Turns };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await wait(turn);
                return;
            }
            catch (TimeoutException) when (attempt < Turns)
            {
            }
        }
    }
}
