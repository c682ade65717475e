import type { ReactElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { BoundedMemo } from "../utils/bounded-memo";

// The server's card memo (cards.tsx CardMemo): a post card's inner HTML by everything it is
// rendered from. Cards carry no body and no lock state (reader:postPage's PostCard), so what it
// holds is what any reader of that site may see. Bounded by characters held, as every cache is.

export const CARD_MEMO_MAX_CHARS = 4 * 2 ** 20;
const memo = new BoundedMemo(CARD_MEMO_MAX_CHARS);

export function memoizedCard(key: string, render: () => ReactElement): string {
  return memo.get(key) ?? memo.set(key, renderToStaticMarkup(render()));
}

export function cardMemoStats(): { size: number; chars: number } {
  return { size: memo.size, chars: memo.chars };
}
