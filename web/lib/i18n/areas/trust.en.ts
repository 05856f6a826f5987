/* English strings of one area of the console; en.ts gathers the areas. */
export const trustEn = {
} as const;
