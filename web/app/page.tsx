'use client';
/* "/" sends people to their files (export has no server redirects). */
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

export default function Home() {
    const router = useRouter();
    useEffect(() => router.replace('/files'), [router]);
    return null;
}
