/* English strings of one area of the console; en.ts gathers the areas. */
export const recoveryEn = {
} as const;
